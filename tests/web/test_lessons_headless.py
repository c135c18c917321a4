"""The durability, ordering and exactly-once lessons run headless: ``manage.py simulate
--walkthrough NAME`` meets every checkpoint (text and JSON lines), and their scenarios meet
their expectations on their own."""

import io
import json

import pytest
from django.core.management import call_command

from mqlab.scenarios import load_walkthrough

LESSONS = {
    "durability": "rabbitmq-durability",
    "ordering-pitfalls": "ordering-pitfalls",
    "exactly-once-whole-answer": "exactly-once-end-to-end",
}


def simulate(*args):
    out = io.StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_walkthrough_runs_headless_with_every_checkpoint_met(name):
    walkthrough, _ = load_walkthrough(name)
    assert walkthrough["scenario"] == LESSONS[name]
    text = simulate("--walkthrough", name)  # raises CommandError when a checkpoint fails
    assert text.splitlines()[0] == walkthrough["title"]
    assert "NOT MET" not in text
    last = json.loads(simulate("--walkthrough", name, "--jsonl").splitlines()[-1])
    assert [s["title"] for s in last["steps"]] == [s["title"] for s in walkthrough["steps"]]
    checkpoints = [c for s in last["steps"] for c in s["checkpoints"]]
    assert checkpoints and all(c["met"] for c in checkpoints)


@pytest.mark.parametrize("scenario", sorted(set(LESSONS.values())))
def test_scenario_runs_headless_with_every_expectation_met(scenario):
    last = json.loads(simulate(scenario, "--jsonl").splitlines()[-1])
    assert last["expectations"] and all(e["met"] for e in last["expectations"])
