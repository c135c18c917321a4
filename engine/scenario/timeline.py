"""A scenario's timeline: scripted actions at given virtual times.

Each action is what a person (or an outage) does to the running system: publish a message,
crash or restart a consumer (or an outbox service), stop a producer, kill a Kafka broker and
bring it back, restart RabbitMQ, redrive an SQS dead-letter queue, replay a Kafka consumer
from the beginning, purge a queue, add partitions to a Kafka topic (``create_partitions``:
keys may hash elsewhere from then on), lose a Kafka producer's next produce response (it
retries), abort a transactional producer's open transaction, and place requests with an
outbox service. Actions at the same time run in file order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.apps import kinds
from engine.errors import EngineError

if TYPE_CHECKING:
    from .runner import Run

#: After a RabbitMQ restart, apps reconnect this many seconds later (a client's retry loop).
RECONNECT_AFTER = 1.0


def schedule(run: Run, actions: list[dict[str, Any]]) -> None:
    for action in actions:
        run.sim.call_at(action["at"], attempt, run, action)


def attempt(run: Run, action: dict[str, Any]) -> None:
    """Perform an action; if the broker refuses it, say so in an event and go on, as the
    person at the console would."""
    try:
        perform(run, action)
    except EngineError as error:
        run.sim.emit(kinds.ACTION_FAILED, _broker_of(run, action),
                     reason=f"{action['do']} refused: [{error.code}] {error}",
                     details={"action": dict(action), "code": error.code})


def _broker_of(run: Run, action: dict[str, Any]) -> str:
    if "broker" in action:
        return action["broker"]
    if "consumer" in action:
        return run.consumers[action["consumer"]].adapter.broker
    if "producer" in action:
        return run.producers[action["producer"]].adapter.broker
    if "outbox" in action:
        return "sqs"
    return "kafka" if action["do"] in ("kill-broker", "restore-broker", "add-partitions") \
        else "rabbitmq"


def perform(run: Run, action: dict[str, Any]) -> None:
    do = action["do"]
    sim = run.sim
    if do == "publish":
        producer = run.producers[action["producer"]]
        for _ in range(action.get("count", 1)):
            producer.send(action.get("body"), action.get("key"), action.get("options"))
        producer.flush()
    elif do in ("crash", "restart"):
        app: Any = run.outboxes[action["outbox"]] if "outbox" in action \
            else run.consumers[action["consumer"]]
        if do == "crash":
            app.crash()
        else:
            app.restart()
    elif do in KAFKA_PRODUCER_ACTIONS:
        KAFKA_PRODUCER_ACTIONS[do](run.producers[action["producer"]].adapter)
    elif do == "add-partitions":
        sim.kafka.create_partitions(action["topic"], action["partitions"])
    elif do == "place":
        outbox = run.outboxes[action["outbox"]]
        for _ in range(action.get("count", 1)):
            outbox.place(f"{outbox.name}-{outbox.placed + 1}")
    elif do == "stop-consumer":
        run.consumers[action["consumer"]].stop()
    elif do == "start-consumer":
        run.consumers[action["consumer"]].start()
    elif do == "stop-producer":
        run.producers[action["producer"]].stop()
    elif do == "kill-broker":
        sim.kafka.kill_broker(action["broker_id"])
    elif do == "restore-broker":
        sim.kafka.restore_broker(action["broker_id"])
    elif do == "restart-broker":
        _restart_rabbitmq(run)
    elif do == "seek-to-beginning":
        run.consumers[action["consumer"]].adapter.replay()
    elif do == "redrive":
        _redrive(run, action["queue"])
    elif do == "purge":
        _purge(run, action["broker"], action["queue"])


def _lose_response(adapter: Any) -> None:
    adapter.lose_next_response = True


#: Actions on a Kafka producer app's adapter (``adapters/kafka.py``, ``kafka_txn.py``).
KAFKA_PRODUCER_ACTIONS = {"lose-produce-response": _lose_response,
                          "abort-transaction": lambda adapter: adapter.abort_transaction()}


def _restart_rabbitmq(run: Run) -> None:
    """Restart the broker; the consumers' connections drop and they reconnect shortly after."""
    affected = [c for c in run.consumers.values()
                if c.adapter.broker == "rabbitmq" and c.running]
    for consumer in affected:
        consumer.crash()
    run.sim.rabbitmq.restart()
    for consumer in affected:
        run.sim.call_later(RECONNECT_AFTER, consumer.restart)


def _redrive(run: Run, dlq: str) -> None:
    """SQS's dead-letter queue redrive: move the DLQ's messages back to their source."""
    sqs = run.sim.sqs
    url = sqs.get_queue_url(QueueName=dlq)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    sqs.start_message_move_task(SourceArn=arn["Attributes"]["QueueArn"])


def _purge(run: Run, broker: str, queue: str) -> None:
    if broker == "rabbitmq":
        channel = run.sim.rabbitmq.channel()
        channel.queue_purge(queue)
        channel.close()
    elif broker == "sqs":
        sqs = run.sim.sqs
        sqs.purge_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"])
