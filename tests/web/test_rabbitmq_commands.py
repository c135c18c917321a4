"""The RabbitMQ commands and presets as a learner drives them: whole traces of what happens
to the messages (rooms built directly, no server)."""

from __future__ import annotations

import pytest

from mqlab.commands import ArgumentError, kit
from mqlab.presets import find
from mqlab.rooms import Room
from tests.web.playground import refused, run

OWNER = "me"


def room(preset: str = "rabbitmq-work-queue") -> Room:
    return Room("t", find(preset), seed=1, owner=OWNER)


def quiet_room() -> Room:
    """The work-queue preset with its producer stopped: only what a test sends moves."""
    lab = room()
    run(lab, "stop_producer", producer="task-api")
    return lab


def trace(room: Room, message_id: str) -> list[tuple[str, str | None]]:
    return [(e.kind, e.target) for e in room.history if e.message_id == message_id]


def test_work_queue_prefetch_one_gives_the_fast_worker_more_tasks():
    lab = quiet_room()
    run(lab, "publish", routing_key="tasks", count=12)
    lab.sim.advance(12)
    acks = [e.source for e in lab.history if e.kind == "acked"]
    per_worker = {w: acks.count(f"rabbitmq:consumer:{w}") for w in ("worker-1", "worker-2",
                                                                     "worker-3")}
    # 1 s, 2 s and 4 s per task; each takes the next task only once it has acked:
    # worker-1 at t=0,1,2,3,4,5, worker-2 at t=0,2,4,6, worker-3 at t=0,4.
    assert per_worker == {"worker-1": 6, "worker-2": 4, "worker-3": 2}


def test_crashed_consumers_unacked_message_is_redelivered_to_another():
    lab = room()
    run(lab, "publish", routing_key="tasks", count=3)
    run(lab, "crash_consumer", consumer="worker-3")
    lab.sim.advance(1)
    assert trace(lab, "m3") == [
        ("published", "rabbitmq:exchange:amq.default"), ("enqueued", "rabbitmq:queue:tasks"),
        ("delivered", "rabbitmq:consumer:worker-3"), ("requeued", "rabbitmq:queue:tasks"),
        ("delivered", "rabbitmq:consumer:worker-1")]
    redelivery = [e for e in lab.history if e.message_id == "m3"][-1]
    assert redelivery.details["redelivered"] is True


def test_fanout_copies_each_notification_to_every_channel_queue():
    lab = room("rabbitmq-fanout")
    run(lab, "publish", exchange="notifications", routing_key="", body="hi")
    enqueued = sorted(e.target for e in lab.history if e.kind == "enqueued")
    assert enqueued == ["rabbitmq:queue:email", "rabbitmq:queue:push", "rabbitmq:queue:sms"]


@pytest.mark.parametrize(("key", "queues"), [
    ("order.created", ["orders"]),
    ("order.shipped", ["orders", "shipping"]),
    ("user.signup", ["users"]),
    ("order.shipped.late", []),
])
def test_topic_preset_routes_by_its_bindings(key, queues):
    lab = room("rabbitmq-topic")
    run(lab, "publish", exchange="events", routing_key=key)
    assert sorted(e.target.split(":")[-1] for e in lab.history if e.kind == "enqueued") == queues


def test_poison_message_rejected_by_the_worker_lands_in_the_dead_letter_queue():
    lab = room("rabbitmq-dead-letter")
    run(lab, "publish_poison", exchange="", routing_key="orders")
    lab.sim.advance(1)
    assert trace(lab, "m1")[-3:] == [
        ("delivered", "rabbitmq:consumer:order-worker"),
        ("dead-lettered", "rabbitmq:exchange:dlx"), ("enqueued", "rabbitmq:queue:dead-letters")]
    parked = lab.sim.snapshot()["contents"]["rabbitmq:queue:dead-letters"]["messages"]
    assert parked[0]["x_death"][0]["reason"] == "rejected"


def test_poison_message_with_requeue_loops_until_a_human_steps_in():
    lab = quiet_room()
    run(lab, "publish_poison", routing_key="tasks")
    lab.sim.advance(7.5)
    # Each worker fails on it after its processing time and nacks with requeue; round-robin
    # hands it to the next: worker-1 at t=0, worker-2 at t=1, worker-3 at t=3, worker-1 at 7.
    deliveries = [target for kind, target in trace(lab, "m1") if kind == "delivered"]
    assert deliveries == [f"rabbitmq:consumer:worker-{n}" for n in (1, 2, 3, 1)]


def test_manual_ack_by_hand_settles_the_delivery_tag():
    lab = room("rabbitmq-playground")
    run(lab, "declare_queue", name="q")
    run(lab, "add_consumer", name="me", queue="q", ack_mode="manual", prefetch=2)
    run(lab, "publish", routing_key="q", count=3)
    consumer = lab.sim.snapshot()["contents"]["rabbitmq:consumer:me"]
    assert [m["delivery_tag"] for m in consumer["messages"]] == [1, 2]
    run(lab, "nack", consumer="me", delivery_tag=1, requeue=False)
    run(lab, "ack", consumer="me", delivery_tag=2)
    assert trace(lab, "m1")[-1] == ("dropped", None)  # no dead-letter exchange: discarded
    held = lab.sim.snapshot()["contents"]["rabbitmq:consumer:me"]["messages"]
    assert [m["id"] for m in held] == ["m3"]


def test_acking_an_unknown_tag_closes_the_consumers_channel_as_rabbitmq_does():
    lab = room("rabbitmq-playground")
    run(lab, "declare_queue", name="q")
    run(lab, "add_consumer", name="me", queue="q", ack_mode="manual")
    outcome = lab.run_command(OWNER, "ack", {"consumer": "me", "delivery_tag": 9})
    assert not outcome.ok and outcome.message.startswith("PRECONDITION_FAILED - unknown "
                                                         "delivery tag 9")
    again = lab.run_command(OWNER, "ack", {"consumer": "me", "delivery_tag": 1})
    assert (again.code, again.field) == ("bad-argument", "consumer")


def test_consumer_settings_resubscribe_with_the_new_prefetch():
    lab = room()
    run(lab, "consumer_settings", consumer="worker-1", prefetch=3)
    run(lab, "publish", routing_key="tasks", count=5)
    held = lab.sim.snapshot()["contents"]["rabbitmq:consumer:worker-1"]["messages"]
    assert len(held) == 3


def test_removing_a_consumer_lets_it_finish_its_message_first():
    lab = room()
    run(lab, "publish", routing_key="tasks")
    message = run(lab, "remove_consumer", consumer="worker-1")
    assert "finishing 1 message" in message
    lab.sim.advance(1)
    assert trace(lab, "m1")[-1][0] == "acked"
    assert "worker-1" not in lab.lab.live_consumers()


def test_queue_arguments_from_the_form_become_x_arguments():
    lab = room("rabbitmq-playground")
    message = run(lab, "declare_queue", name="q", message_ttl=5000, max_length=10,
                  overflow="reject-publish", dead_letter_exchange="dlx", max_priority=5)
    assert message == ("declared queue 'q' with x-message-ttl=5000, x-max-length=10, "
                       "x-overflow=reject-publish, x-dead-letter-exchange=dlx, "
                       "x-max-priority=5")
    node = next(n for n in lab.sim.topology()["nodes"] if n["id"] == "rabbitmq:queue:q")
    assert node["props"]["arguments"]["x-max-length"] == 10


def test_a_steady_producer_publishes_on_the_virtual_clock():
    lab = quiet_room()
    run(lab, "start_producer", name="p", routing_key="tasks", rate=4, limit=6)
    lab.sim.advance(10)
    published = [e.at for e in lab.history if e.kind == "published"]
    assert published == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]  # the first after one interval
    assert "stopped after 6 accepted" in run(lab, "stop_producer", producer="p")


def test_a_producer_body_template_with_an_unknown_field_is_refused():
    outcome = room().run_command(OWNER, "start_producer", {"name": "p", "body": "{colour}"})
    assert (outcome.code, outcome.field) == ("bad-argument", "body")
    assert "{n}" in outcome.message


def test_broker_restart_keeps_durable_queue_but_not_transient_messages():
    lab = room()
    run(lab, "publish", routing_key="tasks", count=4, persistent=True)
    run(lab, "publish", routing_key="tasks", count=2)
    run(lab, "restart_broker")
    contents = lab.sim.snapshot()["contents"]["rabbitmq:queue:tasks"]
    assert contents["counters"]["ready"] == 4  # 3 requeued + 1 waiting persistent; 2 lost
    assert lab.lab.live_consumers() == []


def test_every_command_field_has_a_kind_the_templates_know():
    kinds = {"text", "int", "float", "bool", "choice", "json", "textarea"}
    for command in kit("rabbitmq").commands:
        for spec in command.fields:
            assert spec.kind in kinds, (command.name, spec.name)
            assert (spec.kind == "choice") == bool(spec.choices), (command.name, spec.name)


@pytest.mark.parametrize(("raw", "kind", "expected"), [
    ("3", "int", 3), (3.0, "int", 3), ("2.5", "float", 2.5), ("on", "bool", True),
    ("false", "bool", False), ('{"a": 1}', "json", {"a": 1}), ("", "int", None),
])
def test_form_strings_and_json_values_parse_alike(raw, kind, expected):
    from mqlab.commands import Field
    assert Field("x", "X", kind).parse(raw) == expected


@pytest.mark.parametrize(("raw", "kind"), [
    ("3.5", "int"), (True, "int"), ("nan", "float"), ("maybe", "bool"), ("[1]", "json"),
    ("{", "json"), (5, "text"), ("\ud800", "text"), ("x" * 10_001, "textarea"),
])
def test_bad_values_raise_an_argument_error_naming_the_field(raw, kind):
    from mqlab.commands import Field
    with pytest.raises(ArgumentError) as caught:
        Field("x", "X", kind).parse(raw)
    assert caught.value.field == "x"


def test_consumer_settings_left_blank_keep_the_current_values():
    lab = room()
    form = {"consumer": "worker-2", "prefetch": "", "ack_mode": "", "processing_time": "0.5",
            "on_poison": ""}
    outcome = lab.run_command(OWNER, "consumer_settings", form)
    assert outcome.message == ("consumer 'worker-2': prefetch 1, after-processing, 0.5s per "
                               "message, poison -> requeue")
    assert not [e for e in lab.history if e.kind == "consumer-removed"]  # no re-subscribe


def test_a_copys_history_begins_with_its_originals_publish():
    lab = room("rabbitmq-fanout")
    run(lab, "publish", exchange="notifications", routing_key="")
    copies = [e.message_id for e in lab.history if e.kind == "enqueued"]
    assert copies == ["m1", "m1.2", "m1.3"]
    history = lab.message_info("m1.3")["events"]
    assert [(e["kind"], e["message_id"]) for e in history][:2] == [
        ("published", "m1"), ("enqueued", "m1.3")]


def test_headers_nested_too_deep_are_refused_naming_the_field():
    """A header nested 500 deep once made the room's replay raise RecursionError."""
    deep: object = "leaf"
    for _ in range(500):
        deep = {"n": deep}
    lab = room()
    outcome = refused(lab, "publish", routing_key="tasks", headers={"deep": deep})
    assert outcome.field == "headers" and "levels deep" in outcome.message
    outcome = refused(lab, "bind", queue="tasks", exchange="amq.topic", routing_key="#",
                      arguments={"deep": deep})
    assert outcome.field == "arguments"


def form_defaults(lab: Room, command: str) -> dict[str, object]:
    """What a form's fields start with in this room (as the page renders them)."""
    for group in lab.command_groups():
        for described in group["commands"]:
            if described["name"] == command:
                return {f["name"]: f["default"] for f in described["fields"]
                        if f["default"] != "" or f["required"]}
    raise LookupError(command)


@pytest.mark.parametrize("preset", ["rabbitmq-work-queue", "rabbitmq-fanout", "rabbitmq-topic",
                                    "rabbitmq-dead-letter"])
def test_every_rabbitmq_preset_moves_at_once_and_its_forms_defaults_route(preset):
    lab = room(preset)
    lab.sim.advance(4)
    delivered = [e for e in lab.history if e.kind == "delivered"]
    assert delivered and delivered[0].at <= 4  # a producer runs from the start
    for command in ("publish", "start_producer", "add_consumer"):
        outcome = lab.run_command(OWNER, command, form_defaults(lab, command))
        assert outcome.ok and outcome.warning is None, (command, outcome)


def test_an_unroutable_publish_is_a_warning_saying_why():
    lab = room("rabbitmq-playground")
    outcome = lab.run_command(OWNER, "publish", {"body": "hi"})
    assert outcome.ok and outcome.status("publish")["warning"] == (
        "1 message went nowhere (dropped): no binding of the default exchange matches "
        "routing key ''")
    started = lab.run_command(OWNER, "start_producer", {"name": "p"})
    assert "every message will be dropped as unroutable" in started.warning
