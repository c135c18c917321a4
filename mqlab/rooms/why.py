""""Why didn't it...?": a question about a node (a queue, a consumer, a partition) and a
message, answered from the room's history and the brokers' state now.

The message is the one the learner selected, else the latest one that could have gone there
(the latest publish for a RabbitMQ queue, the latest record for a Kafka consumer, the latest
send for an SQS queue). The broker rules live in the engine (``engine.rabbitmq.why``,
``engine.kafka.why``, ``engine.sqs.why``); this module picks the message out of the history,
says whether it did get there, and phrases the question. Every scan reads the bounded history
once, newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.causes import code, say
from engine.events import Event

Answer = dict[str, Any]


def answer(sim: Any, history: Sequence[Event], node: str,
           message_id: str | None = None) -> Answer:
    """``{"question", "answer", "message"}`` for ``node`` (a topology node id)."""
    broker, _, rest = node.partition(":")
    kind, _, name = rest.partition(":")
    handler = HANDLERS.get((broker, kind))
    if handler is None or broker not in sim.brokers:
        return {"question": f"Why didn't it reach {code(name or node)}?", "message": message_id,
                "answer": "this kind of node has no \"why\" answer: ask on a queue, a "
                          "consumer or a partition"}
    return handler(sim.brokers[broker], history, node, name, message_id)


# -- finding things in the history ----------------------------------------------------------
def _family(history: Sequence[Event], message_id: str) -> list[Event]:
    """A message's events and its copies' (``m7``, ``m7.2``...), oldest first."""
    root = message_id.split(".", 1)[0]
    return [e for e in history if e.message_id is not None
            and (e.message_id == root or e.message_id.startswith(root + "."))]


def _latest(history: Sequence[Event], test: Callable[[Event], bool]) -> Event | None:
    return next((e for e in reversed(history) if test(e)), None)


def _rule(event: Event) -> str | None:
    return event.cause.get("rule") if event.cause else None


def _fate(events: list[Event]) -> str:
    last = events[-1]
    return say(last.cause, last.reason or last.kind)


# -- RabbitMQ ---------------------------------------------------------------------------------
def _rabbit_queue(model: Any, history: Sequence[Event], node: str, name: str,
                  message_id: str | None) -> Answer:
    from engine.rabbitmq.why import why_not_queue

    publish = _rabbit_publish(history, message_id)
    if publish is None:
        return {"question": f"Why did nothing reach {code(name)}?", "message": None,
                "answer": "nothing has been published yet (or not within the room's recent "
                          "history)"}
    mid = publish.message_id
    question = (f"Why didn't {code(mid)} reach {code(name)}?" if message_id else
                f"Why did nothing reach {code(name)}?")
    family = _family(history, mid)
    arrived = [e for e in family if e.kind == "enqueued" and e.target == node]
    if arrived:
        return {"question": question, "message": mid,
                "answer": f"{code(mid)} did reach {code(name)}: {say(arrived[-1].cause)}; "
                          f"its last step: {_fate(family)}"}
    cause = publish.cause or {}
    headers = ((publish.details or {}).get("properties") or {}).get("headers")
    why = why_not_queue(model, name, cause.get("exchange", ""), cause.get("routing_key", ""),
                        headers)
    lead = "" if message_id else f"the latest message, {code(mid)}: "
    return {"question": question, "message": mid, "answer": lead + why}


def _rabbit_publish(history: Sequence[Event], message_id: str | None) -> Event | None:
    if message_id:
        root = message_id.split(".", 1)[0]
        return _latest(history, lambda e: e.kind == "published" and e.message_id == root
                       and _rule(e) == "publish")
    return _latest(history, lambda e: e.kind == "published" and e.broker == "rabbitmq"
                   and _rule(e) == "publish")


def _rabbit_consumer(model: Any, history: Sequence[Event], node: str, name: str,
                     message_id: str | None) -> Answer:
    consumer = _find_consumer(model, name)
    queue = consumer.queue if consumer is not None else None
    if message_id is None and queue is not None:
        last = _latest(history, lambda e: e.kind == "enqueued" and e.target == queue.node)
        message_id = last.message_id if last is not None else None
    if message_id is None:
        return {"question": f"Why didn't {code(name)} get it?", "message": None,
                "answer": f"nothing has reached {code(queue.name if queue else name)} yet"}
    question = f"Why didn't {code(name)} get {code(message_id)}?"
    events = [e for e in history if e.message_id == message_id]
    delivered = [e for e in events if e.kind == "delivered"]
    mine = [e for e in delivered if e.target == node]
    if mine:
        text = f"it did: {say(mine[-1].cause)}"
    elif delivered:
        cause = delivered[-1].cause or {}
        text = say(cause, delivered[-1].reason)
        if name in cause.get("busy", ()):
            text += f": {code(name)} was at its prefetch limit ({cause.get('prefetch')})"
        elif cause.get("rule") == "round-robin":
            text += f": it was {code(cause.get('consumer'))}'s turn, not {code(name)}'s"
    else:
        where = [e for e in events if e.kind == "enqueued"]
        if queue is not None and not any(e.target == queue.node for e in where):
            return {**_rabbit_queue(model, history, queue.node, queue.name, message_id),
                    "question": question}
        text = (f"it has not been delivered to anyone yet; its last step: {_fate(events)}"
                if events else "the room's recent history has nothing about it")
    return {"question": question, "message": message_id, "answer": text}


def _find_consumer(model: Any, tag: str) -> Any:
    for queue in model._queues.values():
        for consumer in queue.consumers:
            if consumer.tag == tag:
                return consumer
    return None


# -- Kafka ------------------------------------------------------------------------------------
def _kafka_consumer(model: Any, history: Sequence[Event], node: str, name: str,
                    message_id: str | None) -> Answer:
    from engine.kafka.why import why_not_fetched

    appended = _latest(history, lambda e: e.kind == "appended" and _rule(e) == "append"
                       and (message_id is None or e.message_id == message_id))
    if appended is None:
        return {"question": f"Why didn't {code(name)} get it?", "message": message_id,
                "answer": "no record has been written yet (or not within the room's recent "
                          "history)"}
    rid = appended.message_id
    question = f"Why didn't {code(name)} get {code(rid)}?"
    got = _latest(history, lambda e: e.kind == "delivered" and e.message_id == rid
                  and e.target == node)
    if got is not None:
        return {"question": question, "message": rid, "answer": f"it did: {say(got.cause)}"}
    details = appended.details or {}
    text = why_not_fetched(model, name, details.get("topic", ""), details.get("partition", -1),
                           details.get("offset", -1))
    return {"question": question, "message": rid, "answer": text}


def _kafka_partition(model: Any, history: Sequence[Event], node: str, name: str,
                     message_id: str | None) -> Answer:
    topic, _, index = name.rpartition("/")
    produced = _latest(history, lambda e: e.kind == "produced" and e.cause is not None
                       and e.cause.get("partition") is not None
                       and (message_id is None or e.message_id == message_id)
                       and (e.details or {}).get("topic") == topic)
    question = f"Why did nothing reach partition {name}?"
    if produced is None:
        return {"question": question, "message": message_id,
                "answer": f"no record has been sent to topic {code(topic)} yet"}
    cause = produced.cause or {}
    text = say(cause)
    if str(cause.get("partition")) == index:
        text = f"the latest record did reach it: {text}"
    elif cause.get("rule") == "key-hash":
        text += (f", not {index}: a key always goes to the same partition "
                 "(murmur2(key) mod the partition count)")
    return {"question": question, "message": produced.message_id, "answer": text}


# -- SQS --------------------------------------------------------------------------------------
def _sqs_queue(model: Any, history: Sequence[Event], node: str, name: str,
               message_id: str | None) -> Answer:
    from engine.sqs.why import why_not_received

    if message_id is None:
        queue = model.queues.get(name)
        sent = _latest(history, lambda e: e.kind in ("sent", "enqueued") and e.target == node
                       and (queue is None or e.message_id in queue.messages))
        if sent is None:
            sent = _latest(history, lambda e: e.kind in ("sent", "enqueued")
                           and e.target == node)
        message_id = sent.message_id if sent is not None else None
    if message_id is None:
        return {"question": f"Why wasn't anything received from {code(name)}?",
                "message": None, "answer": f"nothing has been sent to {code(name)} yet"}
    question = f"Why wasn't {code(message_id)} received?"
    text = why_not_received(model, name, message_id)
    if text is None:
        events = [e for e in history if e.message_id == message_id]
        text = (f"it is no longer in {code(name)}: {_fate(events)}" if events
                else f"it is not in {code(name)}")
    return {"question": question, "message": message_id, "answer": text}


def _sqs_consumer(model: Any, history: Sequence[Event], node: str, name: str,
                  message_id: str | None) -> Answer:
    """A consumer's question is about the queue it receives from (the last one it used)."""
    received = _latest(history, lambda e: e.kind == "received" and e.target == node)
    queue_node = received.source if received is not None else None
    if message_id is not None:
        holder = _latest(history, lambda e: e.message_id == message_id and e.kind in (
            "sent", "enqueued"))
        queue_node = holder.target if holder is not None else queue_node
    if queue_node is None:
        return {"question": f"Why didn't {code(name)} receive it?", "message": message_id,
                "answer": f"{code(name)} has not received from any queue yet"}
    reply = _sqs_queue(model, history, queue_node, queue_node.rsplit(":", 1)[-1], message_id)
    return {**reply, "question": reply["question"].replace("received?",
                                                           f"received by {code(name)}?")}


HANDLERS: dict[tuple[str, str], Callable[..., Answer]] = {
    ("rabbitmq", "queue"): _rabbit_queue,
    ("rabbitmq", "consumer"): _rabbit_consumer,
    ("kafka", "consumer"): _kafka_consumer,
    ("kafka", "partition"): _kafka_partition,
    ("sqs", "queue"): _sqs_queue,
    ("sqs", "consumer"): _sqs_consumer,
}
