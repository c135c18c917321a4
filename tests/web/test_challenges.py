"""Challenges: every one is broken on every seed and fixed by its reference on every seed;
knobs are typed and bounded; ``manage.py challenge`` prints each check and says it in its exit
status."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mqlab.scenarios import ScenarioError
from mqlab.scenarios import challenge as challenges

NAMES = challenges.names()


def test_at_least_fifteen_challenges_across_the_three_brokers():
    assert len(NAMES) >= 15
    brokers = {challenges.load(name)["broker"] for name in NAMES}
    assert brokers == {"rabbitmq", "kafka", "sqs"}


@pytest.mark.parametrize("name", NAMES)
def test_the_broken_setup_fails_its_goal_on_every_seed(name):
    challenge = challenges.load(name)
    report = challenges.check(challenge, {})
    assert report.changed == []
    assert [seed.seed for seed in report.seeds if seed.ok] == []


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_solution_meets_the_goal_on_every_seed_at_par(name):
    challenge = challenges.load(name)
    assert len(challenge["seeds"]) >= 5
    report = challenges.check(challenge, challenge["reference"])
    assert [seed.seed for seed in report.seeds if not seed.ok] == []
    assert len(report.changed) == challenge["par"]


@pytest.mark.parametrize("name", NAMES)
def test_hints_come_in_three_levels_and_knobs_read_their_broken_values(name):
    challenge = challenges.load(name)
    assert len(challenge["hints"]) == 3
    broken = challenges.broken_values(challenge)
    for knob in challenge["knobs"]:
        value = broken[knob["id"]]
        if knob["type"] in ("integer", "number"):
            assert knob["min"] <= value <= knob["max"], knob["id"]
        elif knob["type"] == "choice":
            assert any(challenges._same(value, c["value"]) for c in knob["choices"]), knob["id"]


def test_a_knob_out_of_range_is_refused_with_its_range():
    challenge = challenges.load("sqs-visibility-timeout")
    with pytest.raises(ValueError, match="from 0 to 120"):
        challenges.apply(challenge, {"visibility": 500})
    with pytest.raises(ValueError, match="not a knob"):
        challenges.apply(challenge, {"VisibilityTimeout": 30})


def test_knob_values_land_in_a_copy_of_the_scenario():
    challenge = challenges.load("sqs-visibility-timeout")
    spec = challenges.apply(challenge, {"visibility": "30"})
    assert spec["sqs"]["queues"][0]["attributes"]["VisibilityTimeout"] == "30"
    assert challenge["scenario"]["sqs"]["queues"][0]["attributes"]["VisibilityTimeout"] == "10"
    assert spec["expect"] == challenge["goal"]


def test_a_choice_of_null_removes_the_setting():
    challenge = challenges.load("sqs-fifo-single-group")
    spec = challenges.apply(challenge, {"group": None})
    assert "options" not in spec["producers"][0]
    assert challenges.changes(challenge, {"group": None}) == ["group"]
    # A form sends the choice's index or its JSON.
    assert challenges.values_for(challenge, {"group": "1"})["group"] is None


def test_the_scenario_loader_validates_a_fix():
    challenge = challenges.load("rabbitmq-poison-requeue-loop")
    spec = json.loads(json.dumps(challenge))
    spec["knobs"][0]["choices"].append({"value": "explode", "label": "explode"})
    with pytest.raises(ScenarioError, match="on_failure"):
        challenges.apply(spec, {"on_failure": "explode"})


def test_a_check_out_of_time_reports_the_seeds_it_could_not_check():
    challenge = challenges.load("kafka-hot-key")
    report = challenges.check(challenge, challenge["reference"], budget_seconds=0)
    assert not report.ok
    assert "ran out of time" in (report.seeds[-1].error or "")


def test_command_lists_every_challenge_with_par_and_seeds():
    out = StringIO()
    call_command("challenge", "--list", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(NAMES)
    assert any(line.startswith("rabbitmq-binding-typo") and "par 1" in line
               and "seeds 0,1,2,3,4,5" in line for line in lines)


def test_command_reference_exits_zero_and_prints_each_check_per_seed():
    out = StringIO()
    call_command("challenge", "rabbitmq-binding-typo", "--reference", stdout=out)
    text = out.getvalue()
    assert text.count("[ok] side_effects of warehouse == 40") == 6
    assert "goal met on 6 of 6 seeds" in text


def test_command_fix_that_fails_exits_one(tmp_path):
    fix = tmp_path / "fix.json"
    fix.write_text('{"binding": "order.*"}')
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("challenge", "rabbitmq-binding-typo", "--fix", str(fix), stdout=out)
    assert raised.value.returncode == 1
    assert "[FAIL] side_effects of warehouse == 40" in out.getvalue()


def test_command_invalid_fix_exits_two(tmp_path):
    fix = tmp_path / "fix.json"
    fix.write_text('{"binding": "nope"}')
    with pytest.raises(CommandError) as raised:
        call_command("challenge", "rabbitmq-binding-typo", "--fix", str(fix))
    assert raised.value.returncode == 2


def test_a_challenge_file_with_a_wrong_knob_path_names_the_knob(tmp_path):
    data = json.loads((challenges.CHALLENGES / "rabbitmq-binding-typo.json").read_text())
    data["knobs"][0]["path"] = "/rabbitmq/queues/nope/durable"
    data["reference"]["ghost"] = 1
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioError) as raised:
        challenges.load(str(path))
    assert ("$.knobs[0].path", "no 'nope' in the scenario at /rabbitmq/queues/nope/durable") \
        in raised.value.problems
    assert ("$.reference.ghost", "not a knob of this challenge") in raised.value.problems


def test_a_challenge_file_is_checked_against_its_schema(tmp_path):
    data = json.loads((challenges.CHALLENGES / "rabbitmq-binding-typo.json").read_text())
    data["seeds"] = [1, 2]
    data["hints"] = data["hints"][:2]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioError) as raised:
        challenges.load(str(path))
    paths = [where for where, _ in raised.value.problems]
    assert "$.seeds" in paths and "$.hints" in paths
