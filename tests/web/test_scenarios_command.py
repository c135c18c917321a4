"""``manage.py simulate``: the headless run, its summary, JSON lines, seeds and exit codes."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def simulate(*args):
    out = io.StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def test_summary_names_the_numbers_and_each_expectation():
    text = simulate("poison-message-retries")
    lines = text.splitlines()
    assert lines[0] == ("Poison message: retries with backoff, then the DLQ  (seed 3, ran to"
                        " t=60, 158 events)")
    assert "  dead-lettered   1" in lines
    assert "  duplicated      0" in lines
    assert "  max depth       1  (payments.dlq)" in lines
    assert "  [ok] dead_lettered == 1: met (actual 1)" in lines


def test_jsonl_streams_every_event_then_the_summary():
    lines = simulate("topic-routing", "--jsonl").splitlines()
    events = [json.loads(line) for line in lines[:-1]]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert {"at", "kind", "broker", "message_id", "source", "target", "reason",
            "details"} <= set(events[0])
    last = json.loads(lines[-1])
    assert last["summary"]["events"] == len(events)
    assert all(e["met"] for e in last["expectations"])


def test_same_seed_same_jsonl_and_another_seed_differs():
    first = simulate("kafka-ordering-per-key", "--jsonl", "--seed", "5")
    assert first == simulate("kafka-ordering-per-key", "--jsonl", "--seed", "5")
    assert first != simulate("kafka-ordering-per-key", "--jsonl", "--seed", "6")


def test_until_stops_early_and_says_which_checkpoints_were_not_reached():
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("simulate", "kafka-replay", "--until", "20", stdout=out)
    assert failed.value.returncode == 1  # the end-of-run expectations are not met at t=20
    lines = out.getvalue().splitlines()
    assert "ran to t=20," in lines[0]
    assert "  [skip] side_effects at t=29: the run stopped before" in lines


def test_an_unmet_expectation_exits_1(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({
        "title": "t", "description": "d", "duration": 5,
        "rabbitmq": {"queues": [{"name": "q"}]},
        "expect": [{"metric": "depth", "of": "q", "op": "==", "value": 3}]}))
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("simulate", str(path), stdout=out)
    assert failed.value.returncode == 1
    assert "  [FAIL] depth of q == 3: NOT MET (actual 0)" in out.getvalue()


def test_an_invalid_scenario_exits_2_with_the_problems(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"title": "t", "description": "d", "duration": 5,
                                "consumers": [{"name": "c", "broker": "rabbitmq"}]}))
    with pytest.raises(CommandError) as failed:
        simulate(str(path))
    assert failed.value.returncode == 2
    assert "$.consumers[0].queue: required property 'queue' is missing" in str(failed.value)


def test_list_prints_the_library():
    assert "delivery-guarantees" in simulate("--list").splitlines()


def test_the_process_exit_status_follows_the_expectations(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({
        "title": "t", "description": "d", "duration": 1,
        "rabbitmq": {"queues": [{"name": "q"}]},
        "expect": [{"metric": "depth", "of": "q", "op": "==", "value": 1}]}))
    command = [sys.executable, "manage.py", "simulate"]
    failing = subprocess.run([*command, str(path)], cwd=ROOT, capture_output=True, text=True)
    passing = subprocess.run([*command, "direct-routing"], cwd=ROOT, capture_output=True,
                             text=True)
    assert (failing.returncode, passing.returncode) == (1, 0)


def test_jsonl_is_identical_across_processes_whatever_the_hash_seed():
    def output(hash_seed):
        return subprocess.run(
            [sys.executable, "manage.py", "simulate", "kafka-ordering-per-key",
             "--jsonl"], cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed}).stdout

    first = output("1")
    assert first == output("2")
    assert len(first.splitlines()) > 500


def test_walkthrough_prints_each_step_with_its_prediction_and_checkpoints():
    lines = simulate("--walkthrough", "why-use-a-queue").splitlines()
    assert lines[0] == "Why use a queue at all?"
    assert "step 2/4: The flash sale  (t=10 to 15, " in "\n".join(lines)
    assert "    * They wait in the queue" in lines
    assert "    - They are refused" in lines
    assert "  [ok] depth of orders == 0: met (actual 0)" in lines


def test_walkthrough_jsonl_ends_with_the_steps_and_a_bad_name_exits_2():
    last = json.loads(simulate("--walkthrough", "kafka-partitions", "--jsonl").splitlines()[-1])
    assert [s["title"] for s in last["steps"]] == ["The group forms", "All caught up"]
    assert all(c["met"] for s in last["steps"] for c in s["checkpoints"])
    with pytest.raises(CommandError) as failed:
        simulate("--walkthrough", "no-such-walkthrough")
    assert failed.value.returncode == 2


@pytest.mark.parametrize(("name", "steps"), [
    ("topic-routing", 3), ("sqs-fifo-groups", 4), ("sqs-visibility-timeout", 4),
    ("kafka-rebalancing", 6)])
def test_the_issue_14_walkthroughs_run_headless_with_every_checkpoint_met(name, steps):
    last = json.loads(simulate("--walkthrough", name, "--jsonl").splitlines()[-1])
    assert len(last["steps"]) == steps
    assert [c for s in last["steps"] for c in s["checkpoints"] if not c["met"]] == []
