"""Invariants of the delivery guarantees, whatever the failures and crashes (Hypothesis):

* at-least-once loses nothing: every message ends with a side effect or in the DLQ;
* effectively-once also never performs a side effect twice;
* at-most-once never performs one twice, and every message is either done or counted lost;
* the apps never break the broker's own conservation of messages.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Simulation
from engine.apps.adapters.rabbitmq import RabbitConsumer, RabbitProducer
from engine.apps.backoff import Backoff
from engine.apps.consumer import Consumer, FailurePolicy
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.producer import Producer
from engine.invariants import conservation_violations

COUNT = 12

runs = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000),
    "guarantee": st.sampled_from(["at-most-once", "at-least-once", "effectively-once"]),
    "failure_rate": st.sampled_from([0.0, 0.2, 0.5]),
    "on_failure": st.sampled_from(["requeue", "retry"]),
    "prefetch": st.integers(1, 5),
    "side_effect_at": st.sampled_from([0.3, 0.7, 1.0]),
    "crashes": st.lists(st.floats(0.1, 30), max_size=4),
})


def play(params):
    sim = Simulation(seed=params["seed"])
    events = []
    sim.subscribe(events.append)
    channel = sim.rabbitmq.channel()
    channel.exchange_declare("dlx", "fanout")
    channel.queue_declare("work", arguments={"x-dead-letter-exchange": "dlx"})
    channel.queue_declare("dlq")
    channel.queue_bind("dlq", "dlx")
    policy = FailurePolicy(params["on_failure"], Backoff(0.5, 2, 4, "full"), 3)
    adapter = RabbitConsumer(sim, "worker", "work", prefetch=params["prefetch"],
                             retry_levels=2 if params["on_failure"] == "retry" else 0)
    worker = Consumer(sim, "worker", adapter, guarantee=params["guarantee"],
                      processing=duration_from_spec({"kind": "exponential", "mean": 0.5}),
                      failures=FailureRule(rate=params["failure_rate"]), policy=policy,
                      side_effect_at=params["side_effect_at"])
    worker.start()
    producer = Producer(sim, "shop", RabbitProducer(sim, "shop", routing_key="work"))
    for _ in range(COUNT):
        producer.send()
    for at in sorted(params["crashes"]):
        sim.call_at(at, worker.crash)
        sim.call_at(at + 1, worker.restart)
    sim.advance(600)
    contents = sim.snapshot()["contents"]
    dead = {m["properties"]["message_id"]
            for m in contents.get("rabbitmq:queue:dlq", {"messages": []})["messages"]}
    return sim, events, worker, dead


@settings(max_examples=60, deadline=None)
@given(runs)
def test_guarantees_hold_whatever_fails_or_crashes(params):
    sim, events, worker, dead = play(params)
    keys = {f"shop-{n}" for n in range(1, COUNT + 1)}
    performed = worker.ledger.performed
    assert conservation_violations(events, sim.locations()) == []
    if params["guarantee"] == "at-most-once":
        assert all(count == 1 for count in performed.values())
        assert set(performed) | worker.ledger.lost == keys
        assert not set(performed) & worker.ledger.lost
        return
    assert not worker.ledger.lost
    assert set(performed) | dead == keys
    if params["guarantee"] == "effectively-once":
        assert all(count == 1 for count in performed.values())
