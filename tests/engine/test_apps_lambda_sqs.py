"""The Lambda-style batch consumer on SQS. Sources: AWS Lambda Developer Guide, "Using Lambda
with Amazon SQS" (batching window, batch size), "Handling errors for an SQS event source in
Lambda" (a failed invocation returns the whole batch after the visibility timeout) and
"Reporting batch item failures" (ReportBatchItemFailures deletes all but the reported ones;
FIFO stops at the first failure)."""

import json

import pytest

from engine import Simulation
from engine.apps import kinds
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.lambda_sqs import LambdaConsumer
from engine.errors import InvalidArgument
from engine.invariants import conservation_violations
from engine.sqs import TERMINAL


def setup(name="jobs", bodies=("a", "b", "c"), visibility="10", dlq=False, **settings):
    sim = Simulation(seed=2)
    events = []
    sim.subscribe(events.append)
    attributes = {"VisibilityTimeout": visibility}
    if name.endswith(".fifo"):
        attributes["FifoQueue"] = "true"
    if dlq:
        dead = sim.sqs.create_queue(QueueName="dead" + (".fifo" if name.endswith(".fifo")
                                                        else ""),
                                    Attributes={"FifoQueue": "true"}
                                    if name.endswith(".fifo") else {})["QueueUrl"]
        arn = sim.sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps({
            "deadLetterTargetArn": arn["Attributes"]["QueueArn"], "maxReceiveCount": 2})
    url = sim.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    for n, body in enumerate(bodies):
        extra = {"MessageGroupId": "g", "MessageDeduplicationId": str(n)} \
            if name.endswith(".fifo") else {}
        sim.sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
    settings.setdefault("processing", duration_from_spec(1.0))
    app = LambdaConsumer(sim, "fn", name, **settings)
    return sim, app, url, events


def depth(sim, url):
    values = sim.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(values["ApproximateNumberOfMessages"]),
            int(values["ApproximateNumberOfMessagesNotVisible"]))


def test_a_successful_batch_is_one_invocation_and_every_record_is_deleted():
    sim, app, url, events = setup()
    app.start()
    sim.advance(3.5)
    assert app.invocations == 1
    assert app.ledger.performed == dict.fromkeys(app.ledger.performed, 1) and \
        len(app.ledger.performed) == 3
    assert depth(sim, url) == (0, 0)
    assert [e.kind for e in events if e.kind.startswith("batch-")] == [
        kinds.BATCH_INVOKED, kinds.BATCH_SUCCEEDED]


def test_without_report_batch_item_failures_one_failure_returns_the_whole_batch():
    sim, app, url, events = setup(bodies=("a", "poison", "c"),
                                  failures=FailureRule(poison=("poison",)))
    app.start()
    sim.advance(2.5)  # "a" done, "poison" failed: the function raised
    assert [e.kind for e in events if e.kind.startswith("batch-")][-1] == kinds.BATCH_FAILED
    assert depth(sim, url) == (0, 3)  # nothing deleted: all three wait for the timeout
    sim.advance(10)  # the visibility timeout ends; the batch comes back and "a" runs again
    assert sum(1 for e in events if e.kind == kinds.DUPLICATE_SIDE_EFFECT) == 1


def test_with_report_batch_item_failures_only_the_failed_record_returns():
    sim, app, url, events = setup(bodies=("a", "poison", "c"), report_batch_item_failures=True,
                                  failures=FailureRule(poison=("poison",)))
    app.start()
    sim.advance(3.5)
    reported = [e for e in events if e.kind == kinds.BATCH_ITEM_FAILURES]
    assert len(reported) == 1
    (failure,) = reported[0].details["batchItemFailures"]
    assert depth(sim, url) == (0, 1)  # "a" and "c" deleted; "poison" in flight
    sim.advance(10)
    assert app.ledger.duplicates == 0
    assert sorted(e.details["MessageId"] for e in events
                  if e.kind == kinds.PROCESSING_FAILED) == [failure["itemIdentifier"]] * 2


def test_fifo_with_reports_stops_at_the_first_failure_and_reports_the_rest():
    sim, app, url, events = setup(name="jobs.fifo", bodies=("a", "poison", "c"),
                                  report_batch_item_failures=True,
                                  failures=FailureRule(poison=("poison",)))
    app.start()
    sim.advance(2.5)
    (reported,) = [e for e in events if e.kind == kinds.BATCH_ITEM_FAILURES]
    assert len(reported.details["batchItemFailures"]) == 2
    assert len(app.ledger.performed) == 1  # "c" was not run


def test_redrive_policy_moves_a_record_that_keeps_failing_to_the_dead_letter_queue():
    sim, app, url, events = setup(bodies=("a", "poison"), dlq=True,
                                  report_batch_item_failures=True,
                                  failures=FailureRule(poison=("poison",)))
    app.start()
    sim.advance(40)
    assert [e.kind for e in events if e.kind == "dead-lettered"] == ["dead-lettered"]
    assert conservation_violations(events, sim.locations(), TERMINAL) == []


def test_batch_size_and_batching_window_decide_when_the_function_is_invoked():
    sim, app, url, events = setup(bodies=(), batch_size=3, batching_window=5)
    app.start()
    sim.advance(1)
    for body in ("a", "b"):
        sim.sqs.send_message(QueueUrl=url, MessageBody=body)
    sim.advance(4.5)  # the window opened at the first record: 5 s, not over yet
    assert app.invocations == 0
    sim.advance(1)
    invoked = [e for e in events if e.kind == kinds.BATCH_INVOKED]
    assert len(invoked) == 1 and len(invoked[0].details["records"]) == 2
    for body in ("c", "d", "e"):
        sim.sqs.send_message(QueueUrl=url, MessageBody=body)
    sim.advance(2.5)  # a full batch is invoked at once, window or not
    assert app.invocations == 2


def test_a_crash_leaves_the_records_in_flight_until_the_visibility_timeout():
    sim, app, url, events = setup()
    app.start()
    sim.advance(1.5)
    app.crash()
    assert depth(sim, url) == (0, 3)
    sim.advance(10)
    assert sum(depth(sim, url)) == 3  # none deleted: they come back (a poll that was
    assert app.invocations == 1 and len(app.ledger.performed) == 1  # waiting may hold some)


@pytest.mark.parametrize("options", [
    {"batch_size": 0}, {"batch_size": 11}, {"batching_window": 301}, {"batching_window": -1},
    {"concurrency": 0},
])
def test_settings_out_of_range_are_refused(options):
    sim = Simulation()
    with pytest.raises(InvalidArgument):
        LambdaConsumer(sim, "fn", "jobs", processing=duration_from_spec(1), **options)
