"""Walkthrough files: each one loads, its predictions point at a real choice, and every
step's checkpoints hold; bad files give the exact path of the culprit inside the step."""

import pytest

from engine.scenario import Walkthrough
from mqlab.scenarios import load_walkthrough, walkthrough_names, walkthrough_problems

from .test_scenarios_loader import replaced

NAMES = walkthrough_names()


def test_the_interview_questions_have_walkthroughs():
    assert {"exactly-once-processing", "poison-messages", "why-use-a-queue",
            "kafka-or-rabbitmq"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_step_runs_and_its_checkpoints_hold(name):
    walkthrough, scenario = load_walkthrough(name)
    results = Walkthrough(walkthrough, scenario).play_all()
    assert len(results) == len(walkthrough["steps"])
    failed = [(r.index, o.describe()) for r in results for o in r.checkpoints if not o.met]
    assert failed == []
    assert any(step.get("predict") for step in walkthrough["steps"])


#: Per walkthrough, the events each step narrates: they must happen in that step and in no
#: other, so a learner never reads about something seen a step earlier or yet to come.
NARRATED = {
    "poison-messages": {2: {"gave-up", "alert"}},
    "exactly-once-processing": {1: {"app-crashed"},
                                2: {"app-restarted", "duplicate-side-effect", "duplicate-skipped"}},
    "why-use-a-queue": {2: {"app-crashed", "app-restarted", "visible"}},
    "durability": {1: {"broker-restarted", "lost"}},
    "exactly-once-whole-answer": {0: {"retried"}, 2: {"rebalance-completed", "producer-fenced"},
                                  4: {"duplicate-ignored"}, 5: {"visible"},
                                  6: {"work-lost", "orphan-event", "outbox-relayed"}},
    "ordering-pitfalls": {3: {"partitions-added"}},
    "publish-subscribe": {2: {"removed"}},
    "topic-routing": {2: {"dropped"}},
    "sqs-fifo-groups": {2: {"app-crashed", "app-restarted", "duplicate-side-effect"}},
    "kafka-rebalancing": {4: {"app-crashed", "work-lost"}, 5: {"duplicate-side-effect"}},
}


@pytest.mark.parametrize("name", sorted(NARRATED))
def test_each_step_shows_the_events_its_narration_describes(name):
    results = Walkthrough(*load_walkthrough(name)).play_all()
    seen = [{event.kind for event in result.events} for result in results]
    for index, kinds in NARRATED[name].items():
        assert kinds <= seen[index], (index, kinds - seen[index])
        elsewhere = {i: kinds & step for i, step in enumerate(seen) if i != index and kinds & step}
        assert elsewhere == {}


GOOD = {
    "title": "w", "description": "d", "scenario": "direct-routing",
    "steps": [{"title": "s", "narration": "n", "run_for": 5,
               "actions": [{"at": 1, "do": "crash", "consumer": "pager"}],
               "predict": {"question": "q", "choices": ["a", "b"], "answer": 1},
               "reveal": "r",
               "checkpoints": [{"metric": "received", "of": "pager", "op": ">", "value": 0}]}],
}


def with_(path, value):
    return replaced(GOOD, path, value)


def test_a_good_walkthrough_has_no_problems():
    problems, scenario = walkthrough_problems(GOOD)
    assert problems == [] and scenario["title"] == "Direct routing by severity"


@pytest.mark.parametrize(("data", "expected"), [
    (with_(["steps", 0, "narration"], ""), [
        ("$.steps[0].narration", '"" must have at least 1 character(s)')]),
    ({**GOOD, "steps": []}, [("$.steps", "[] must have at least 1 item(s)")]),
    (with_(["steps", 0, "predict", "answer"], 2), [
        ("$.steps[0].predict.answer", "2 is not a choice; allowed: 0 to 1")]),
    (with_(["steps", 0, "actions", 0, "at"], 9), [
        ("$.steps[0].actions[0].at", "9 is after the end of the step (run_for 5)")]),
    (with_(["steps", 0, "actions", 0, "consumer"], "ghost"), [
        ("$.steps[0].actions[0].consumer",
         "unknown consumer 'ghost'; defined: 'pager', 'archiver'")]),
    (with_(["steps", 0, "actions", 0, "do"], "explode"), [
        ("$.steps[0].actions[0].do", "'explode' is not allowed; allowed: 'publish', 'crash',"
         " 'restart', 'stop-consumer', 'start-consumer', 'stop-producer', 'kill-broker',"
         " 'restore-broker', 'restart-broker', 'redrive', 'seek-to-beginning', 'purge'")]),
    (with_(["steps", 0, "checkpoints", 0, "at"], 3), [
        ("$.steps[0].checkpoints[0].at", "checkpoints are checked at the end of their step;"
         " remove 'at'")]),
    (with_(["steps", 0, "checkpoints", 0, "metric"], "happiness"), [
        ("$.steps[0].checkpoints[0].metric", "'happiness' is not allowed; allowed:"
         " 'published', 'rejected', 'delivered', 'side_effects', 'duplicates',"
         " 'skipped_duplicates', 'lost', 'failures', 'retries', 'dead_lettered', 'alerts',"
         " 'out_of_order', 'throttled', 'received', 'depth', 'max_depth', 'lag', 'max_lag',"
         " 'events'")]),
    (with_(["scenario"], "no-such-scenario"), [
        ("$.scenario", "no such file, and no library scenario of that name; library: ")]),
    (with_(["scenario"], {"title": "t", "description": "d", "duration": -1}), [
        ("$.scenario.duration", "-1 must be > 0")]),
])
def test_bad_walkthroughs_name_the_step_and_what_is_allowed(data, expected):
    problems, _ = walkthrough_problems(data)
    assert len(problems) == len(expected)
    for (path, message), (want_path, want_start) in zip(problems, expected, strict=True):
        assert path == want_path and message.startswith(want_start)


def test_a_prediction_needs_its_reveal():
    step = {k: v for k, v in GOOD["steps"][0].items() if k != "reveal"}
    problems, _ = walkthrough_problems({**GOOD, "steps": [step]})
    assert problems == [("$.steps[0].reveal", "required property 'reveal' is missing (needed"
                         " when 'predict' is given)")]
