"""A room is built with the budget the settings give (mqlab/limits.py, wired in
mqlab/sources.py): past a cap, the learner's command is refused in the broker's words, and
the refusal says it is the room's limit and its value."""

from __future__ import annotations

from mqlab.presets import find
from mqlab.rooms import Room
from tests.web.playground import refused, run


def room(preset: str) -> Room:
    return Room("t", find(preset), seed=1, owner="me")


def test_a_rooms_queue_cap_comes_from_the_settings(settings):
    existing = len(room("sqs-playground").sim.sqs.queues)
    settings.MQLAB_MAX_QUEUES = existing + 1
    lab = room("sqs-playground")
    run(lab, "create_queue", name="one-more")
    outcome = refused(lab, "create_queue", name="too-many")
    assert outcome.message == (
        f"OverLimit: Queue 'too-many' is refused: this room's limit of {existing + 1} queues "
        "is reached (a limit of mqlab, not of the broker)")


def test_a_rabbitmq_room_refuses_a_queue_past_its_vhost_limit(settings):
    existing = len(room("rabbitmq-playground").sim.rabbitmq.queues)
    settings.MQLAB_MAX_QUEUES = existing + 1
    lab = room("rabbitmq-playground")
    run(lab, "declare_queue", name="one-more")
    message = refused(lab, "declare_queue", name="too-many").message
    assert message.startswith(
        f"PRECONDITION_FAILED - cannot declare queue 'too-many': queue limit in vhost '/' "
        f"({existing + 1}) is reached; this room's limit of {existing + 1} queues")


def test_a_simulated_producer_past_the_rooms_cap_is_refused(settings):
    settings.MQLAB_MAX_PRODUCERS = 1
    lab = room("sqs-playground")
    queue = sorted(lab.sim.sqs.queues)[0] if lab.sim.sqs.queues else None
    if queue is None:
        run(lab, "create_queue", name="orders")
        queue = "orders"
    run(lab, "start_producer", name="p1", queue=queue, rate=1)
    message = refused(lab, "start_producer", name="p2", queue=queue, rate=1).message
    assert "this room's limit of 1 simulated producers is reached" in message
