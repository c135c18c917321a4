"""A broker's refusal reaches the learner under the broker's own name for it, as its client
prints it, so the learner can look it up: Kafka's Java exception class, SQS's error code,
RabbitMQ's reply text (which already starts with its reply code)."""

from __future__ import annotations

from engine.errors import InvalidArgument
from mqlab.presets import find
from mqlab.rooms import Room, engine_error_message
from tests.web.playground import refused, run

OWNER = "me"


def room(preset: str) -> Room:
    return Room("t", find(preset), seed=1, owner=OWNER)


def refusal(lab: Room, command: str, **args) -> str:
    outcome = refused(lab, command, **args)
    assert outcome.code == "engine-error"
    return outcome.message


def test_a_kafka_refusal_is_named_by_its_java_exception_class():
    lab = room("kafka-broker-failure")
    run(lab, "kill_broker", broker="1")
    run(lab, "kill_broker", broker="2")
    assert refusal(lab, "produce", topic="events", key="s1", value="v") == (
        "NotEnoughReplicasException: partition events/0 has 1 in-sync replica(s) [3], fewer "
        "than min.insync.replicas=2; acks=all writes are refused until a replica catches up "
        "(acks=1 would be accepted)")


def test_an_sqs_refusal_is_named_by_its_error_code():
    lab = room("sqs-playground")
    assert refusal(lab, "create_queue", name="plain", fifo=True) == (
        "InvalidParameterValue: FIFO queue name 'plain' must end with the .fifo suffix")


def test_a_rabbitmq_reply_text_keeps_its_reply_code_once():
    lab = room("rabbitmq-playground")
    run(lab, "declare_queue", name="q")
    run(lab, "add_consumer", name="me", queue="q", ack_mode="manual")
    assert refusal(lab, "ack", consumer="me", delivery_tag=9).startswith(
        "PRECONDITION_FAILED - unknown delivery tag 9. RabbitMQ closed the channel")


def test_the_engines_generic_codes_are_not_shown_as_a_brokers_error_name():
    error = InvalidArgument("body=3: give bytes or str")
    assert engine_error_message(error) == "body=3: give bytes or str"
