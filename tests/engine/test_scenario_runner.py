"""Playing a scenario: topology through the brokers' APIs, apps, timeline, checkpoints,
expectations, the summary, and determinism."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.scenario import Run, run

WORK = {
    "title": "work", "description": "d", "duration": 30, "seed": 3,
    "rabbitmq": {"queues": [{"name": "tasks"}]},
    "producers": [{"name": "web", "broker": "rabbitmq", "routing_key": "tasks",
                   "rate": {"kind": "steady", "per_second": 2}, "count": 10}],
    "consumers": [{"name": "w", "broker": "rabbitmq", "queue": "tasks", "prefetch": 1,
                   "processing": {"kind": "exponential", "mean": 0.4}}],
}


def spec(**changes):
    data = copy.deepcopy(WORK)
    data.update(changes)
    return data


def test_summary_counts_what_happened():
    result = run(spec())
    s = result.summary
    assert (s["published"], s["delivered"], s["side_effects"]) == (10, 10, 10)
    assert (s["duplicates"], s["lost"], s["dead_lettered"]) == (0, 0, 0)
    assert s["consumers"]["w"]["received"] == 10
    assert s["max_depth"]["queue"] == "tasks"
    assert s["until"] == 30


def test_expectations_report_actual_values_and_fail_when_not_met():
    result = run(spec(expect=[
        {"metric": "side_effects", "of": "w", "op": "==", "value": 10},
        {"metric": "duplicates", "op": ">", "value": 0}]))
    assert [(o.met, o.actual) for o in result.outcomes] == [(True, 10), (False, 0)]
    assert not result.ok
    assert result.outcomes[1].describe() == "duplicates > 0: NOT MET (actual 0)"


def test_checkpoints_measure_at_their_time():
    result = run(spec(expect=[
        {"metric": "published", "op": "==", "value": 4, "at": 2.2},
        {"metric": "published", "op": "==", "value": 10}]))
    assert [o.actual for o in result.outcomes] == [4, 10]


def test_until_stops_early_and_leaves_later_checkpoints_unchecked():
    later = {"metric": "published", "op": "==", "value": 10, "at": 20}
    result = run(spec(expect=[later]), until=3)
    assert result.summary["until"] == 3
    assert result.outcomes == [] and result.unchecked == [later]


def test_same_seed_gives_identical_events_and_another_seed_differs():
    def events(seed):
        seen = []
        run(spec(), seed=seed, listeners=[seen.append])
        return seen

    assert events(1) == events(1)
    assert events(1) != events(2)


def test_listeners_see_the_topology_being_declared():
    seen = []
    run(spec(), listeners=[seen.append])
    assert seen[0].kind == "declared" and seen[0].source == "rabbitmq:queue:tasks"


def test_restarting_rabbitmq_reconnects_the_consumers():
    data = spec(timeline=[{"at": 2.1, "do": "restart-broker"}], duration=40)
    data["rabbitmq"] = {"queues": [{"name": "tasks", "durable": True}]}
    data["producers"][0]["options"] = {"persistent": True}
    result = Run(data)
    outcome = result.play()
    assert outcome.summary["side_effects"] >= 10  # unacked work redelivered after reconnect
    assert outcome.summary["lost"] == 0
    assert result.consumers["w"].running


def test_a_transient_queue_loses_its_messages_on_a_broker_restart():
    data = spec(timeline=[{"at": 4, "do": "restart-broker"}],
                consumers=[], duration=10)
    seen = []
    result = run(data, listeners=[seen.append])
    # The 7 messages in the transient queue go with it; the 3 published afterwards find no
    # queue and are dropped as unroutable: all 10 lost.
    assert [e.kind for e in seen if e.kind in ("lost", "dropped")] == ["lost"] * 7 + \
        ["dropped"] * 3
    assert result.summary["lost"] == 10


def test_purge_and_stop_producer_actions():
    data = spec(consumers=[], timeline=[{"at": 2.1, "do": "purge", "broker": "rabbitmq",
                                         "queue": "tasks"},
                                        {"at": 3.1, "do": "stop-producer", "producer": "web"}])
    result = Run(data)
    result.play()
    assert result.producers["web"].accepted == 6
    assert result.depth("tasks") == 2


def test_the_broker_refuses_a_topology_it_would_refuse():
    data = spec(rabbitmq={"queues": [{"name": "tasks", "arguments": {"x-overflow": "explode"}}]})
    with pytest.raises(EngineError) as refused:
        run(data)
    assert "x-overflow" in str(refused.value)


def test_consumers_keep_trying_to_reconnect_when_their_queue_is_gone():
    data = spec(timeline=[{"at": 2, "do": "restart-broker"}], duration=20)
    seen = []
    result = Run(data, listeners=[seen.append])
    result.play()
    failures = [e for e in seen if e.kind == "connect-failed"]
    assert [e.at for e in failures] == [3, 8, 13, 18]  # reconnect after 1 s, then every 5 s
    assert "NOT_FOUND" in failures[0].reason
    assert not result.consumers["w"].running


def test_a_refused_action_is_reported_and_the_run_goes_on():
    data = spec(timeline=[{"at": 1, "do": "purge", "broker": "rabbitmq", "queue": "tasks"}])
    seen = []
    result = Run(data, listeners=[seen.append])
    result.sim.rabbitmq.channel().queue_delete("tasks")  # someone deleted it by hand
    outcome = result.play()
    [refused] = [e for e in seen if e.kind == "action-failed"]
    assert refused.at == 1 and "NOT_FOUND" in refused.reason
    assert outcome.summary["until"] == 30


def test_stopping_a_consumer_ends_its_reconnect_loop():
    data = spec(timeline=[{"at": 2, "do": "restart-broker"},
                          {"at": 4, "do": "stop-consumer", "consumer": "w"}], duration=20)
    seen = []
    Run(data, listeners=[seen.append]).play()
    assert [e.at for e in seen if e.kind == "connect-failed"] == [3]


BUSY = {
    "title": "busy", "description": "d", "duration": 40,
    "rabbitmq": {"exchanges": [{"name": "dlx", "type": "fanout"}],
                 "queues": [{"name": "tasks", "arguments": {"x-dead-letter-exchange": "dlx"}},
                            {"name": "dlq", "dlq": True}],
                 "bindings": [{"queue": "dlq", "exchange": "dlx"}]},
    "sqs": {"queues": [{"name": "jobs", "attributes": {"VisibilityTimeout": "3"}}]},
    "kafka": {"topics": [{"name": "events", "partitions": 2}]},
    "producers": [
        {"name": "p1", "broker": "rabbitmq", "routing_key": "tasks",
         "rate": {"kind": "poisson", "per_second": 3}, "keys": {"kind": "hot", "keys": 4}},
        {"name": "p2", "broker": "sqs", "queue": "jobs", "rate": {"kind": "poisson",
                                                                  "per_second": 2}},
        {"name": "p3", "broker": "kafka", "topic": "events",
         "rate": {"kind": "poisson", "per_second": 2}, "keys": {"kind": "uniform", "keys": 5}}],
    "consumers": [
        {"name": "c1", "broker": "rabbitmq", "queue": "tasks", "prefetch": 2,
         "processing": {"kind": "exponential", "mean": 0.3}, "failure_rate": 0.2,
         "on_failure": "retry", "retry": {"max_attempts": 2}},
        {"name": "c2", "broker": "sqs", "queue": "jobs", "failure_rate": 0.2,
         "processing": {"kind": "uniform", "min": 0.1, "max": 4}},
        {"name": "c3", "broker": "kafka", "topic": "events", "group": "g",
         "processing": {"kind": "normal", "mean": 0.4, "stddev": 0.2}}],
    "timeline": [{"at": 11, "do": "crash", "consumer": "c1"},
                 {"at": 13, "do": "restart", "consumer": "c1"},
                 {"at": 17, "do": "crash", "consumer": "c3"},
                 {"at": 18, "do": "restart", "consumer": "c3"}],
}


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_any_seed_replays_the_same_events_and_summary(seed):
    def play():
        events = []
        result = run(BUSY, seed=seed, listeners=[events.append])
        return events, result.summary

    assert play() == play()


def test_a_scenario_kafka_consumer_can_read_committed():
    """A scenario consumer's ``isolation_level`` (mqlab/scenarios/schema.json) reaches its
    KafkaConsumer."""
    data = {
        "title": "rc", "description": "d", "duration": 5, "seed": 1,
        "kafka": {"topics": [{"name": "orders", "partitions": 1}]},
        "producers": [{"name": "web", "broker": "kafka", "topic": "orders",
                       "rate": {"kind": "steady", "per_second": 2}, "count": 4}],
        "consumers": [{"name": "c", "broker": "kafka", "topic": "orders", "group": "g",
                       "auto_offset_reset": "earliest", "isolation_level": "read_committed"}],
    }
    scenario = Run(data)
    result = scenario.play()
    assert scenario.sim.kafka.consumers["c"].isolation_level == "read_committed"
    assert result.summary["side_effects"] == 4
