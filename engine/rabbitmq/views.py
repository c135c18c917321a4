"""What the model shows: the topology, each node's contents, where every message is, and
read-only views of exchanges, queues, consumers and channels for the playground.

Built-in exchanges (the default one and ``amq.*``) are drawn only once something uses them,
so a fresh diagram shows what the learner declared. A consumer node lists its unacked
messages with their delivery tags, so a user can ack or nack them by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..topology import CONSUMERS, PRODUCERS, ROUTERS, STORES, TopologyBuilder
from .exchanges import DEFAULT_NODE_NAME, binding_text
from .message import json_safe
from .queues import QUORUM

if TYPE_CHECKING:
    from .channel import Channel
    from .exchanges import Exchange

BROKER = "rabbitmq"
MAX_LISTED = 100
#: How a priority queue's messages are listed (a plain queue's are oldest first).
PRIORITY_ORDER = "next out first: highest priority, then oldest"


class Views:
    """Mixin of ``RabbitMQ``: snapshots and read-only views."""

    # -- read-only views for the playground ----------------------------------------------------
    @property
    def exchanges(self) -> dict[str, dict[str, Any]]:
        """Exchange name -> its settings and bindings (plain data, a copy)."""
        return {name: {**json_safe(x.settings()), "bindings": [
            {"destination": b.destination.name, "destination_kind": b.destination.KIND,
             "routing_key": b.routing_key, "arguments": dict(b.arguments)}
            for b in x.bindings.values()]} for name, x in self._exchanges.items()}

    @property
    def queues(self) -> dict[str, dict[str, Any]]:
        """Queue name -> settings and counts (plain data, a copy)."""
        return {name: {**q.settings(), "type": q.type, "ready": len(q.ready),
                       "unacked": q.unacked, "consumers": [c.tag for c in q.consumers]}
                for name, q in self._queues.items()}

    @property
    def consumers(self) -> dict[str, dict[str, Any]]:
        """Consumer tag -> queue, channel number, settings and unacked delivery tags."""
        found = {}
        for channel in self._channels.values():
            for tag, consumer in channel.consumers.items():
                found[tag] = {
                    "queue": consumer.queue.name, "channel": channel.channel_number,
                    "auto_ack": consumer.auto_ack, "prefetch": consumer.prefetch,
                    "exclusive": consumer.exclusive, "active": _active(consumer),
                    "priority": consumer.priority,
                    "unacked": [t for t, m in channel.unacked.items() if m.consumer is consumer]}
        return found

    @property
    def channels(self) -> dict[int, Channel]:
        """Open channels by number (so a user can ack by hand on a consumer's channel)."""
        return {n: c for n, c in self._channels.items() if c.is_open}

    # -- what the simulation asks ------------------------------------------------------------
    def topology(self, into: TopologyBuilder) -> None:
        shown = self._shown_exchanges()
        # Channels may share a node (a real client's channels are its one node): drawn once.
        drawn: set[Any] = set()
        for channel in self._channels.values():
            if channel.published_to and channel.is_open:
                if channel.node not in drawn:
                    into.node(channel.node, broker=BROKER, kind="producer",
                              name=f"ch{channel.channel_number}", column=PRODUCERS,
                              label=channel.client_name or f"channel {channel.channel_number}")
                for name in channel.published_to:
                    if name in shown and (channel.node, name) not in drawn:
                        into.edge(channel.node, shown[name].node, kind="publishes")
                        drawn.add((channel.node, name))
                drawn.add(channel.node)
        for exchange in shown.values():
            into.node(exchange.node, broker=BROKER, kind="exchange",
                      name=exchange.name or DEFAULT_NODE_NAME, column=ROUTERS,
                      label=exchange.name or "(default)", tags=_exchange_tags(exchange),
                      **json_safe(exchange.settings()))
            if not exchange.name:
                # AMQP 0-9-1: every queue is bound to the default exchange under its own name
                # (implicit bindings, which cannot be removed): drawn quiet and dashed.
                for queue in self._queues.values():
                    into.edge(exchange.node, queue.node, kind="implicit",
                              label=f"key = {queue.name}", routing_key=queue.name)
            for binding in exchange.bindings.values():
                into.edge(exchange.node, binding.destination.node, kind="binding",
                          label=binding_text(exchange.type, binding.routing_key,
                                             binding.arguments),
                          routing_key=binding.routing_key,
                          arguments=json_safe(binding.arguments))
        for queue in self._queues.values():
            into.node(queue.node, broker=BROKER, kind="queue", name=queue.name, column=STORES,
                      queue_type=queue.type, tags=_queue_tags(queue),
                      **json_safe(queue.settings()))
            self._dead_letter_route(into, queue, shown)
        self._consumer_nodes(into)

    @staticmethod
    def _dead_letter_route(into: TopologyBuilder, queue: Any, shown: dict[str, Exchange]) -> None:
        """Where the queue's dead letters go ("Dead Letter Exchanges"), once that exchange
        exists: a dead letter is republished to it, with the dead-letter routing key if set."""
        dlx = shown.get(queue.dead_letter_exchange)  # None when unset or not declared (yet)
        if dlx is None:
            return
        # Labelled only by the key it overrides; its kind draws it dashed, as the legend says.
        into.edge(queue.node, dlx.node, kind="dead-letter",
                  label=queue.dead_letter_routing_key or "")

    def _consumer_nodes(self, into: TopologyBuilder) -> None:
        for channel in self._channels.values():
            for consumer in channel.consumers.values():
                into.node(consumer.node, broker=BROKER, kind="consumer", name=consumer.tag,
                          column=CONSUMERS, channel=channel.channel_number,
                          prefetch=consumer.prefetch, auto_ack=consumer.auto_ack,
                          active=_active(consumer), priority=consumer.priority,
                          tags=_consumer_tags(consumer))
                into.edge(consumer.queue.node, consumer.node, kind="subscription")
            if channel.used_get and channel.is_open:
                into.node(channel.getter_node, broker=BROKER, kind="consumer",
                          name=f"ch{channel.channel_number}.get", column=CONSUMERS,
                          label=f"channel {channel.channel_number} (basic.get)",
                          channel=channel.channel_number)

    def _shown_exchanges(self) -> dict[str, Exchange]:
        """Declared exchanges, and built-in ones once something used them."""
        return {name: x for name, x in self._exchanges.items() if x.used}

    def contents(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for queue in self._queues.values():
            listed = []
            for message in queue.ready:
                if len(listed) == MAX_LISTED:
                    break
                listed.append(message.inspect())
            found[queue.node] = {"messages": listed, "counters": {
                "ready": len(queue.ready), "unacked": queue.unacked, "bytes": queue.bytes,
                "consumers": len(queue.consumers)}}
            if queue.max_priority is not None:
                # "Priority Queue Support": the list is in delivery order, not arrival order.
                found[queue.node]["order"] = PRIORITY_ORDER
        for channel in self._channels.values():
            for consumer in channel.consumers.values():
                found[consumer.node] = {"messages": [], "counters": {
                    "unacked": 0, "prefetch": consumer.prefetch}}
            for message in channel.unacked.values():
                if message.queue is None:
                    continue
                entry = found.setdefault(holder(message), {"messages": [], "counters": {
                    "unacked": 0}})
                entry["counters"]["unacked"] += 1
                if len(entry["messages"]) < MAX_LISTED:
                    entry["messages"].append(message.inspect())
        return found

    def locations(self) -> Iterable[tuple[str, str]]:
        for queue in self._queues.values():
            for message in queue.ready:
                yield message.id, queue.node
        for channel in self._channels.values():
            for message in channel.unacked.values():
                if message.queue is not None:
                    yield message.id, holder(message)
        for connection in self._connections:
            for held in connection.held:  # publishes a blocked connection holds ("alarms.py")
                yield held.id, held.channel.node


def _exchange_tags(exchange: Exchange) -> list[str]:
    """What the diagram writes under a node: the settings that change what happens to it
    (a broker restart keeps only durable things, "Queues" and "Exchanges" guides)."""
    return [tag for tag, on in (("durable", exchange.durable), ("auto-delete",
            exchange.auto_delete), ("internal", exchange.internal)) if on]


def _queue_tags(queue: Any) -> list[str]:
    """The queue's type and the arguments that decide its messages' fate ("Queues",
    "TTL", "Queue Length Limit", "Priority Queue Support", "Quorum Queues")."""
    tags = ["quorum"] if queue.type == QUORUM else ["durable"] if queue.durable else []
    tags += [tag for tag, on in (("exclusive", queue.exclusive),
                                 ("auto-delete", queue.auto_delete)) if on]
    if queue.message_ttl is not None:
        tags.append(f"TTL {_duration(queue.message_ttl)}")
    if queue.limited:
        limits = [f"{queue.max_length}" if queue.max_length is not None else "",
                  f"{queue.max_length_bytes} B" if queue.max_length_bytes is not None else ""]
        tags.append(f"max {' / '.join(limit for limit in limits if limit)}, {queue.overflow}")
    if queue.max_priority is not None:
        tags.append(f"priorities 0-{queue.max_priority}")
    if queue.delivery_limit is not None:
        tags.append(f"delivery limit {queue.delivery_limit}")
    if queue.single_active:
        tags.append("single active consumer")
    if queue.expires is not None:
        tags.append(f"expires after {_duration(queue.expires)} unused")
    return tags


def _consumer_tags(consumer: Any) -> list[str]:
    # A named connection's consumer says whose it is (a real client: "pika 127.0.0.1:53412").
    tags = [consumer.channel.client_name] if consumer.channel.client_name else []
    tags += ["auto-ack"] if consumer.auto_ack else []
    if not _active(consumer):
        tags.append("waiting: single active consumer")
    return tags


def _duration(ms: int) -> str:
    return f"{ms // 1000} s" if ms and ms % 1000 == 0 else f"{ms} ms"


def _active(consumer: Any) -> bool:
    """Only the first consumer of a single-active-consumer queue gets messages."""
    queue = consumer.queue
    return not queue.single_active or queue.consumers[0] is consumer


def holder(message: Any) -> str:
    """The node holding an unacked copy: its consumer, or the channel that basic_get it."""
    return message.consumer.node if message.consumer is not None else message.channel.getter_node
