"""RabbitMQ in the playground: the commands a room offers, the simulated apps they start, and
the RabbitMQ presets.

The ``Lab`` is what a user drives: one admin connection (a channel) for declaring, binding and
publishing, and simulated consumer applications, each with its own connection as real
services have. A consumer app acknowledges in one of three ways: ``auto`` (the broker forgets
a message once delivered), ``after-processing`` (acks when its processing time has passed)
or ``manual`` (the user acks, nacks or rejects each delivery by hand). A *poison* message
(header ``poison: true``) makes an ``after-processing`` app fail: it either nacks it with
requeue (the endless redelivery loop a poison message causes) or rejects it without requeue
(so a dead-letter exchange, if the queue has one, catches it).

When RabbitMQ refuses a command it closes the channel (AMQP 0-9-1: channel exceptions); the
admin channel is then reopened for the next command, as a client library's user would.
Everything here runs on the simulation's virtual clock, so rooms replay deterministically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine import Simulation
from engine.apps.adapters.rabbitmq import RabbitProducer
from engine.apps.producer import Producer
from engine.clock import Timer
from engine.errors import EngineError
from engine.rabbitmq import BasicProperties, ChannelClosedByBroker
from engine.rabbitmq.amqp_values import check_table
from mqlab.commands import ArgumentError, BrokerKit, Command, Field, Preset, _amqp, warned
from mqlab.commands import _producers as producers

EXCHANGE_TYPES = (("direct", "direct"), ("fanout", "fanout"), ("topic", "topic"),
                  ("headers", "headers"))
ACK_MODES = (("after-processing", "ack after processing time"), ("auto", "auto-ack"),
             ("manual", "manual (ack by hand)"))
ON_POISON = (("requeue", "nack with requeue (retry forever)"),
             ("reject", "reject without requeue (dead-letter)"))
OVERFLOW = (("", "default (drop-head)"), ("drop-head", "drop-head"),
            ("reject-publish", "reject-publish"), ("reject-publish-dlx", "reject-publish-dlx"))
QUEUE_TYPES = (("classic", "classic"), ("quorum", "quorum"))
POISON_HEADER = "poison"


class ConsumerApp:
    """A simulated service consuming from one queue over its own connection."""

    def __init__(self, lab: Lab, name: str, queue: str, prefetch: int, ack_mode: str,
                 processing_time: float, on_poison: str) -> None:
        self.lab = lab
        self.name = name
        self.queue = queue
        self.prefetch = prefetch
        self.ack_mode = ack_mode
        self.processing_time = processing_time
        self.on_poison = on_poison
        self.channel = lab.sim.rabbitmq.channel()
        self.working: dict[int, Timer] = {}
        self.leaving = False

    def subscribe(self) -> None:
        # "Consumer Prefetch": basic.qos applies to consumers started after it.
        self.channel.basic_qos(prefetch_count=self.prefetch)
        self.channel.basic_consume(self.queue, self.on_message,
                                   auto_ack=self.ack_mode == "auto", consumer_tag=self.name)

    def on_message(self, channel: Any, method: Any, properties: Any, body: Any) -> None:
        if self.ack_mode != "after-processing":
            return  # auto-ack: nothing to settle; manual: the user settles it
        poison = bool((properties.headers or {}).get(POISON_HEADER))
        tag = method.delivery_tag
        self.working[tag] = self.lab.sim.call_later(self.processing_time, self.finish, tag,
                                                    poison)

    def finish(self, tag: int, poison: bool) -> None:
        del self.working[tag]
        if not self.channel.is_open:
            return
        try:
            if not poison:
                self.channel.basic_ack(tag)
            elif self.on_poison == "reject":
                self.channel.basic_reject(tag, requeue=False)
            else:
                self.channel.basic_nack(tag, requeue=True)
        except ChannelClosedByBroker:
            # The user settled this tag by hand first: settling it again is a channel error
            # (406 unknown delivery tag). RabbitMQ closed the channel and said so in an
            # event; the app, like a real one, has lost its channel and stops working.
            self.stop_working()
            return
        if self.leaving and not self.working:
            self.channel.close()

    def stop_working(self) -> None:
        for timer in self.working.values():
            timer.cancel()
        self.working.clear()


class Lab:
    """A room's RabbitMQ: the admin channel and the simulated applications."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._admin: Any = None
        self.consumers: dict[str, ConsumerApp] = {}
        self.producers: dict[str, Producer] = {}

    @property
    def admin(self) -> Any:
        if self._admin is None or not self._admin.is_open:
            self._admin = self.sim.rabbitmq.channel()
        return self._admin

    def names(self, kind: str) -> list[str]:
        return [node["name"] for node in self.sim.topology()["nodes"]
                if node["broker"] == "rabbitmq" and node["kind"] == kind]

    def consumer(self, name: str) -> ConsumerApp:
        app = self.consumers.get(name)
        if app is None or not app.channel.is_open:
            known = ", ".join(sorted(self.live_consumers())) or "none yet"
            raise ArgumentError("consumer", f"no running consumer {name!r}; running: {known}")
        return app

    def live_consumers(self) -> list[str]:
        return [name for name, app in self.consumers.items() if app.channel.is_open]


# -- fields shared by several commands ------------------------------------------------------

def _exchanges(lab: Lab) -> list[str]:
    return [name for name in lab.names("exchange") if name]


def _queues(lab: Lab) -> list[str]:
    return lab.names("queue")


def _consumers(lab: Lab) -> list[str]:
    return lab.live_consumers()


def a_route(lab: Lab) -> tuple[str, str]:
    """An exchange and a routing key that reach a queue in this room, so a form's first
    values succeed in its preset: the first declared exchange with a binding (a topic pattern
    made concrete: "order.*" -> "order.created"), else the default exchange with the first
    queue's name (the default exchange routes by queue name), else nothing. A dead-letter
    exchange is skipped: publishing straight to it would bypass what the preset shows."""
    queues = lab.sim.rabbitmq.queues
    parking = {q["arguments"].get("x-dead-letter-exchange") for q in queues.values()
               if q.get("arguments")}
    for name, exchange in lab.sim.rabbitmq.exchanges.items():
        if not name or name.startswith("amq.") or exchange["type"] == "headers" \
                or name in parking:
            continue
        for binding in exchange["bindings"]:
            key = binding["routing_key"]
            if exchange["type"] == "topic":
                key = ".".join("created" if word in ("*", "#") else word
                               for word in key.split("."))
            return name, key
    # The default exchange, to a queue someone consumes from (else the first queue).
    consumed = [name for name, queue in queues.items() if queue["consumers"]]
    names = consumed or _queues(lab)
    return ("", names[0]) if names else ("", "")


def routes(lab: Lab, exchange: str, routing_key: str) -> str | None:
    """Why a publish with these would reach no queue (None when one would take it), for a
    producer started with a route that drops every message."""
    broker = lab.sim.rabbitmq
    if not exchange:
        if routing_key in broker.queues:
            return None
        return f"no binding of the default exchange matches routing key '{routing_key}' " \
               "(it routes to the queue of that name)"
    found = broker.exchanges.get(exchange)
    if found is None:
        return None  # said separately: NOT_FOUND
    if found["type"] in ("headers", "fanout") or found.get("arguments", {}).get(
            "alternate-exchange"):
        return None if found["bindings"] or found["type"] == "headers" else \
            f"exchange '{exchange}' (fanout) has no bindings"
    keys = [b["routing_key"] for b in found["bindings"]]
    if found["type"] == "direct" and routing_key in keys:
        return None
    if found["type"] == "topic" and any(_topic_match(key, routing_key) for key in keys):
        return None
    if found["type"] not in ("direct", "topic"):
        return None
    return f"no binding of exchange '{exchange}' matches routing key '{routing_key}'"


def _topic_match(pattern: str, key: str) -> bool:
    """AMQP topic matching: "*" one word, "#" zero or more."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] in ("*", k[0])) and match(p[1:], k[1:])
    return match(pattern.split("."), key.split("."))


EXCHANGE = Field("exchange", "Exchange", suggest=_exchanges, default="",
                 prefill=lambda lab: a_route(lab)[0],
                 help="Empty means the default exchange, which routes by queue name.")
ROUTING_KEY = Field("routing_key", "Routing key", default="", placeholder="order.created",
                    prefill=lambda lab: a_route(lab)[1])
QUEUE = Field("queue", "Queue", required=True, suggest=_queues)
CONSUMER = Field("consumer", "Consumer", required=True, suggest=_consumers)
DELIVERY_TAG = Field("delivery_tag", "Delivery tag", "int", required=True, minimum=0,
                     help="The tag shown on the consumer's unacked message.")
PREFETCH = Field("prefetch", "Prefetch", "int", default=1, minimum=0, maximum=65535,
                 help="Unacked messages the consumer may hold; 0 means no limit.")
ACK_MODE = Field("ack_mode", "Acknowledgement", "choice", default="after-processing",
                 choices=ACK_MODES)
PROCESSING = Field("processing_time", "Processing time (s)", "float", default=1.0,
                   minimum=0, maximum=3600)
POISON = Field("on_poison", "On a poison message", "choice", default="requeue",
               choices=ON_POISON)


# -- messages --------------------------------------------------------------------------------

def publish(lab: Lab, exchange: str, routing_key: str, body: str, headers: dict | None,
            priority: int | None, expiration: int | None, persistent: bool, mandatory: bool,
            count: int) -> str:
    properties = BasicProperties(
        headers=_table("headers", headers), priority=priority,
        delivery_mode=2 if persistent else None,
        expiration=None if expiration is None else str(expiration))
    ids = [lab.admin.basic_publish(exchange, routing_key,
                                   body.replace("{n}", str(producers.next_number(lab))),
                                   properties.copy(), mandatory=mandatory)
           for _ in range(count)]
    target = f"exchange {exchange!r}" if exchange else "the default exchange"
    return f"published {_ids(ids)} to {target} with key {routing_key!r}"


def publish_poison(lab: Lab, exchange: str, routing_key: str, body: str) -> str:
    message_id = lab.admin.basic_publish(exchange, routing_key, body,
                                         BasicProperties(headers={POISON_HEADER: True}))
    return f"published poison message {message_id}: consumers fail on it"


def start_producer(lab: Lab, name: str, exchange: str, routing_key: str, rate: float,
                   body: str, limit: int | None) -> str:
    producers.check_new(lab, name, body)
    # The adapter formats the routing key with the message key; this producer sends none.
    adapter = RabbitProducer(lab.sim, name, exchange,
                             routing_key.replace("{", "{{").replace("}", "}}"))
    producers.start(lab, name, adapter, rate, body, limit)
    said = f"producer {name!r} sends {rate:g} message(s)/s to {exchange or 'the default exchange'}"
    if exchange and exchange not in lab.sim.rabbitmq.exchanges:
        # A client does not check first: each publish closes its channel (404 NOT_FOUND).
        return warned(said, f"there is no exchange {exchange!r} yet, so each publish fails "
                      "with NOT_FOUND until it is declared")
    nowhere = routes(lab, exchange, routing_key)
    if nowhere:
        return warned(said, f"every message will be dropped as unroutable: {nowhere}")
    return said


def stop_producer(lab: Lab, producer: str) -> str:
    return producers.stop(lab, producer)


def _table(field: str, value: dict | None) -> dict | None:
    """A JSON field that becomes an AMQP table (headers, arguments), checked here so the form
    points at the field: nesting at most ``MAX_NESTING`` deep and 255-byte field names
    (``engine.rabbitmq.amqp_values``; a header nested 500 deep broke a room's replay)."""
    if value:
        try:
            check_table(field, value)
        except EngineError as error:
            raise ArgumentError(field, str(error)) from None
    return value


def _ids(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else f"{len(ids)} messages ({ids[0]} .. {ids[-1]})"


# -- topology --------------------------------------------------------------------------------

def declare_exchange(lab: Lab, name: str, exchange_type: str, durable: bool, auto_delete: bool,
                     arguments: dict | None) -> str:
    lab.admin.exchange_declare(name, exchange_type, durable=durable, auto_delete=auto_delete,
                               arguments=_table("arguments", arguments))
    return f"declared {exchange_type} exchange {name!r}"


def delete_exchange(lab: Lab, name: str, if_unused: bool) -> str:
    existed = name in lab.sim.rabbitmq.exchanges
    lab.admin.exchange_delete(name, if_unused=if_unused)
    return f"deleted exchange {name!r}" if existed else _nothing_deleted("exchange", name)


#: Queue form fields -> the x-arguments RabbitMQ reads ("Queues", "Queue arguments" docs).
QUEUE_ARGUMENTS = {
    "message_ttl": "x-message-ttl", "max_length": "x-max-length", "overflow": "x-overflow",
    "dead_letter_exchange": "x-dead-letter-exchange",
    "dead_letter_routing_key": "x-dead-letter-routing-key", "max_priority": "x-max-priority",
    "queue_type": "x-queue-type", "delivery_limit": "x-delivery-limit",
}


def declare_queue(lab: Lab, name: str, durable: bool, auto_delete: bool,
                  arguments: dict | None, **named: Any) -> str:
    table = dict(_table("arguments", arguments) or {})
    for field_name, value in named.items():
        if value not in (None, "") and not (field_name == "queue_type" and value == "classic"):
            table[QUEUE_ARGUMENTS[field_name]] = value
    declared = lab.admin.queue_declare(name, durable=durable, auto_delete=auto_delete,
                                       arguments=table or None)
    extras = f" with {', '.join(f'{k}={v}' for k, v in table.items())}" if table else ""
    return f"declared queue {declared!r}{extras}"


def delete_queue(lab: Lab, name: str, if_unused: bool, if_empty: bool) -> str:
    existed = name in lab.sim.rabbitmq.queues
    dropped = lab.admin.queue_delete(name, if_unused=if_unused, if_empty=if_empty)
    if not existed:
        return _nothing_deleted("queue", name)
    return f"deleted queue {name!r} and its {dropped} ready message(s)"


def _nothing_deleted(kind: str, name: str) -> str:
    """RabbitMQ answers delete-ok for a missing queue or exchange (deleting is idempotent);
    the user still hears that there was nothing by that name."""
    return (f"no {kind} {name!r} to delete; RabbitMQ answers delete-ok anyway (deleting is "
            "idempotent)")


def purge_queue(lab: Lab, name: str) -> str:
    return f"purged {lab.admin.queue_purge(name)} ready message(s) from {name!r}"


def bind(lab: Lab, queue: str, exchange: str, routing_key: str, arguments: dict | None) -> str:
    lab.admin.queue_bind(queue, exchange, routing_key, arguments=_table("arguments", arguments))
    return f"bound queue {queue!r} to {exchange!r} with key {routing_key!r}"


def unbind(lab: Lab, queue: str, exchange: str, routing_key: str, arguments: dict | None) -> str:
    lab.admin.queue_unbind(queue, exchange, routing_key,
                           arguments=_table("arguments", arguments))
    return f"unbound queue {queue!r} from {exchange!r} (key {routing_key!r})"


def bind_exchange(lab: Lab, destination: str, source: str, routing_key: str) -> str:
    lab.admin.exchange_bind(destination, source, routing_key)
    return f"bound exchange {destination!r} to {source!r} with key {routing_key!r}"


# -- consumers -------------------------------------------------------------------------------

def add_consumer(lab: Lab, name: str, queue: str, prefetch: int, ack_mode: str,
                 processing_time: float, on_poison: str) -> str:
    if name in lab.live_consumers():
        raise ArgumentError("name", f"a consumer named {name!r} is already running; pick "
                            "another name")
    app = ConsumerApp(lab, name, queue, prefetch, ack_mode, processing_time, on_poison)
    try:
        app.subscribe()
    except Exception:
        app.channel.close()  # the app's connection goes away with its failed subscription
        raise
    lab.consumers[name] = app
    return f"consumer {name!r} is consuming from {queue!r} (prefetch {prefetch}, {ack_mode})"


def add_subscriber(lab: Lab, name: str, exchange: str, routing_key: str, prefetch: int,
                   ack_mode: str, processing_time: float, on_poison: str) -> str:
    """A pub/sub subscriber: its own exclusive, server-named queue bound to ``exchange``
    ("Queues" guide, Exclusive Queues and Server-named Queues). The queue lives only as long
    as the subscriber's connection: what is published while it is away never reaches it."""
    if name in lab.live_consumers():
        raise ArgumentError("name", f"a consumer named {name!r} is already running; pick "
                            "another name")
    app = ConsumerApp(lab, name, "", prefetch, ack_mode, processing_time, on_poison)
    try:
        app.queue = app.channel.queue_declare("", exclusive=True)
        app.channel.queue_bind(app.queue, exchange, routing_key)
        app.subscribe()
    except Exception:
        app.channel.close()  # its exclusive queue, if declared, goes with the connection
        raise
    lab.consumers[name] = app
    return (f"subscriber {name!r} declared exclusive queue {app.queue!r} bound to "
            f"{exchange!r}; the queue is deleted when the subscriber disconnects")


def consumer_settings(lab: Lab, consumer: str, prefetch: int | None, ack_mode: str | None,
                      processing_time: float | None, on_poison: str | None) -> str:
    app = lab.consumer(consumer)
    if processing_time is not None:
        app.processing_time = processing_time
    if on_poison is not None:
        app.on_poison = on_poison
    if (prefetch, ack_mode) != (None, None):
        # A running consumer keeps the prefetch and ack mode it subscribed with; a client
        # changes them by cancelling and consuming again on its channel ("Consumer Prefetch").
        app.prefetch = app.prefetch if prefetch is None else prefetch
        app.ack_mode = app.ack_mode if ack_mode is None else ack_mode
        app.channel.basic_cancel(app.name)
        app.subscribe()
    return (f"consumer {consumer!r}: prefetch {app.prefetch}, {app.ack_mode}, "
            f"{app.processing_time:g}s per message, poison -> {app.on_poison}")


def remove_consumer(lab: Lab, consumer: str) -> str:
    """A graceful shutdown: stop taking messages, finish the ones in hand, then disconnect."""
    app = lab.consumer(consumer)
    app.channel.basic_cancel(app.name)
    if app.working:
        app.leaving = True
        return f"consumer {consumer!r} stops after finishing {len(app.working)} message(s)"
    app.channel.close()
    return f"consumer {consumer!r} removed; its unacked messages (if any) are requeued"


def crash_consumer(lab: Lab, consumer: str) -> str:
    """The connection drops mid-work: every unacked delivery goes back to its queue
    ("Consumer Acknowledgements and Publisher Confirms": automatic requeueing)."""
    app = lab.consumer(consumer)
    app.stop_working()
    lab.sim.rabbitmq.crash_connection(app.name)
    return f"consumer {consumer!r} crashed; its unacked messages are requeued"


def restart_broker(lab: Lab) -> str:
    """Every connection drops; only durable things and persistent messages come back
    ("Queues" guide, Durability; "Reliability Guide")."""
    for app in lab.consumers.values():
        app.stop_working()
    report = lab.sim.rabbitmq.restart()
    return report.summary() + "; every client was disconnected"


def ack(lab: Lab, consumer: str, delivery_tag: int, multiple: bool) -> str:
    _settle(lab, consumer, lambda channel: channel.basic_ack(delivery_tag, multiple=multiple))
    return f"{consumer!r} acked delivery {delivery_tag}{' and all before it' * multiple}"


def nack(lab: Lab, consumer: str, delivery_tag: int, multiple: bool, requeue: bool) -> str:
    _settle(lab, consumer, lambda channel: channel.basic_nack(delivery_tag, multiple=multiple,
                                                              requeue=requeue))
    return f"{consumer!r} nacked delivery {delivery_tag} (requeue={requeue})"


def reject(lab: Lab, consumer: str, delivery_tag: int, requeue: bool) -> str:
    _settle(lab, consumer, lambda channel: channel.basic_reject(delivery_tag, requeue=requeue))
    return f"{consumer!r} rejected delivery {delivery_tag} (requeue={requeue})"


def _settle(lab: Lab, consumer: str, settle: Callable[[Any], Any]) -> None:
    """Settle on the consumer's channel. A tag it does not hold is a channel error
    ("Consumer Acknowledgements and Publisher Confirms": 406 PRECONDITION_FAILED) that closes
    the channel; the refusal keeps RabbitMQ's words and names the delivery tag field."""
    app = lab.consumer(consumer)
    try:
        settle(app.channel)
    except ChannelClosedByBroker as error:
        error.field = "delivery_tag"
        # The refusal removes a node from the diagram: say so, beside RabbitMQ's words.
        error.args = (f"{error.message}. RabbitMQ closed the channel of consumer "
                      f"{consumer!r}: that consumer is gone, and the messages it held "
                      "unacked go back to the queue", *error.args[1:])
        app.stop_working()
        raise


# -- the registry ----------------------------------------------------------------------------

def _flag(name: str, label: str, default: bool = False, help: str = "") -> Field:
    return Field(name, label, "bool", default=default, help=help)


def _optional(spec: Field) -> Field:
    """The same field, left blank to keep the current value."""
    choices = (("", "(keep current)"), *spec.choices) if spec.choices else None
    return Field(spec.name, spec.label, spec.kind, choices=choices, minimum=spec.minimum,
                 maximum=spec.maximum, help="Leave blank to keep the current value.")


_BINDING = (QUEUE, Field("exchange", "Exchange", required=True, suggest=_exchanges),
            ROUTING_KEY, Field("arguments", "Arguments", "json",
                               help='For a headers exchange, e.g. {"x-match": "all", '
                                    '"format": "pdf"}.'))

COMMANDS = (
    Command("publish", "Publish", "Messages", publish, (
        EXCHANGE, ROUTING_KEY,
        Field("body", "Body", "textarea", default="hello {n}",
              help="{n} becomes the message's number when publishing several.",
              max_length=producers.BODY_CHARS),
        Field("headers", "Headers", "json", placeholder='{"tenant": "acme"}'),
        Field("priority", "Priority", "int", minimum=0, maximum=255,
              help="Used by queues declared with x-max-priority."),
        Field("expiration", "Expiration (ms)", "int", minimum=0,
              help="Per-message TTL: the message expires after this many milliseconds."),
        _flag("persistent", "Persistent", help="delivery_mode 2: survives a broker restart "
              "in a durable queue."),
        _flag("mandatory", "Mandatory", help="Return the message if no queue takes it."),
        producers.COUNT,
    ), help="basic.publish through the admin connection."),
    Command("publish_poison", "Publish a poison message", "Faults", publish_poison, (
        EXCHANGE, ROUTING_KEY, Field("body", "Body", default="poison pill"),
    ), help="A message every consumer fails to process.", danger=True),
    Command("start_producer", "Start a producer", "Messages", start_producer, (
        producers.NAME, EXCHANGE, ROUTING_KEY,
        producers.RATE, producers.BODY, producers.LIMIT,
    ), help="A simulated service publishing at a steady rate, with publisher confirms."),
    Command("stop_producer", "Stop a producer", "Messages", stop_producer, (producers.PRODUCER,)),
    Command("declare_exchange", "Declare exchange", "Exchanges", declare_exchange, (
        Field("name", "Name", required=True, placeholder="orders"),
        Field("exchange_type", "Type", "choice", default="direct", choices=EXCHANGE_TYPES),
        _flag("durable", "Durable"), _flag("auto_delete", "Auto-delete"),
        Field("arguments", "Arguments", "json", placeholder='{"alternate-exchange": "ae"}'),
    ), fresh=True),
    Command("delete_exchange", "Delete exchange", "Exchanges", delete_exchange, (
        Field("name", "Name", required=True, suggest=_exchanges),
        _flag("if_unused", "Only if unused"),
    ), danger=True),
    Command("bind_exchange", "Bind exchange to exchange", "Exchanges", bind_exchange, (
        Field("destination", "Destination exchange", required=True, suggest=_exchanges),
        Field("source", "Source exchange", required=True, suggest=_exchanges), ROUTING_KEY,
    )),
    Command("declare_queue", "Declare queue", "Queues", declare_queue, (
        Field("name", "Name", default="", placeholder="tasks",
              help="Empty: the broker names it (amq.gen-...)."),
        _flag("durable", "Durable"), _flag("auto_delete", "Auto-delete"),
        Field("message_ttl", "Message TTL (ms)", "int", minimum=0),
        Field("max_length", "Max length", "int", minimum=0),
        Field("overflow", "Overflow", "choice", default="", choices=OVERFLOW),
        Field("dead_letter_exchange", "Dead-letter exchange", suggest=_exchanges),
        Field("dead_letter_routing_key", "Dead-letter routing key"),
        Field("max_priority", "Max priority", "int", minimum=1, maximum=255),
        Field("queue_type", "Queue type", "choice", default="classic", choices=QUEUE_TYPES),
        Field("delivery_limit", "Delivery limit", "int", minimum=0,
              help="Quorum queues: dead-letter (or drop) after this many redeliveries."),
        Field("arguments", "Other arguments", "json"),
    ), fresh=True),
    Command("delete_queue", "Delete queue", "Queues", delete_queue, (
        Field("name", "Name", required=True, suggest=_queues),
        _flag("if_unused", "Only if unused"), _flag("if_empty", "Only if empty"),
    ), danger=True),
    Command("purge_queue", "Purge queue", "Queues", purge_queue, (
        Field("name", "Name", required=True, suggest=_queues),
    ), danger=True),
    Command("bind", "Bind queue", "Queues", bind, _BINDING),
    Command("unbind", "Unbind queue", "Queues", unbind, _BINDING),
    Command("add_consumer", "Add consumer", "Consumers", add_consumer, (
        Field("name", "Name", required=True, placeholder="worker-4",
              prefill=lambda lab: producers.free_name(lab, "worker", lab.live_consumers())),
        Field("queue", "Queue", required=True, suggest=_queues,
              prefill=lambda lab: next(iter(_queues(lab)), "")), PREFETCH,
        ACK_MODE, PROCESSING, POISON,
    ), fresh=True),
    Command("add_subscriber", "Add subscriber (exclusive queue)", "Consumers", add_subscriber, (
        Field("name", "Name", required=True, placeholder="dashboard-1"),
        Field("exchange", "Exchange", required=True, suggest=_exchanges),
        ROUTING_KEY, PREFETCH, ACK_MODE, PROCESSING, POISON,
    ), help="queue_declare('', exclusive=True): a server-named amq.gen-... queue that "
            "vanishes with the subscriber's connection.", fresh=True),
    Command("consumer_settings", "Consumer settings", "Consumers", consumer_settings, (
        CONSUMER, _optional(PREFETCH), _optional(ACK_MODE), _optional(PROCESSING),
        _optional(POISON),
    ), help="Prefetch and acknowledgement changes re-subscribe the consumer."),
    Command("remove_consumer", "Remove consumer", "Consumers", remove_consumer, (CONSUMER,),
            help="Graceful: finishes the messages in hand, then disconnects."),
    Command("ack", "Ack", "Consumers", ack, (
        CONSUMER, DELIVERY_TAG, _flag("multiple", "Multiple"),
    )),
    Command("nack", "Nack", "Consumers", nack, (
        CONSUMER, DELIVERY_TAG, _flag("multiple", "Multiple"),
        _flag("requeue", "Requeue", default=True),
    )),
    Command("reject", "Reject", "Consumers", reject, (
        CONSUMER, DELIVERY_TAG, _flag("requeue", "Requeue", default=True),
    )),
    Command("crash_consumer", "Crash consumer", "Faults", crash_consumer, (CONSUMER,),
            help="Its connection drops: unacked messages go back to the queue.", danger=True),
    Command("restart_broker", "Restart the broker", "Faults", restart_broker, (),
            help="Connections drop; transient and exclusive queues and non-persistent "
                 "messages are lost.",
            danger=True),
    Command("amqp", "AMQP method", "API", _amqp.amqp, _amqp.FIELDS, hidden=True,
            help="A method of a real AMQP 0-9-1 client (pika, amqplib) on the room's "
                 "listener (mqlab.amqp)."),
)


def _consumer(name: str, queue: str, processing_time: float = 1.0, prefetch: int = 1,
              on_poison: str = "requeue") -> tuple[str, dict[str, Any]]:
    return ("add_consumer", {"name": name, "queue": queue, "prefetch": prefetch,
                             "processing_time": processing_time, "on_poison": on_poison})


def _producer(name: str, exchange: str, key: str, rate: float,
              body: str) -> tuple[str, dict[str, Any]]:
    """A preset's running producer: every preset moves on its own from its first second."""
    return ("start_producer", {"name": name, "exchange": exchange, "routing_key": key,
                               "rate": rate, "body": body})


def _bound_queue(queue: str, exchange: str, key: str = "") -> tuple[tuple[str, dict], ...]:
    return (("declare_queue", {"name": queue}),
            ("bind", {"queue": queue, "exchange": exchange, "routing_key": key}))


PRESETS = (
    Preset("rabbitmq", "rabbitmq-work-queue", "Work queue",
           "One queue, three workers with prefetch 1: a busy worker gets no new task until it "
           "acks, so the fast worker takes more (fair dispatch). The price: a round trip per "
           "task, so short tasks go faster with a larger prefetch.", (
               ("declare_queue", {"name": "tasks", "durable": True}),
               _consumer("worker-1", "tasks", 1.0), _consumer("worker-2", "tasks", 2.0),
               _consumer("worker-3", "tasks", 4.0),
               _producer("task-api", "", "tasks", 1.5, "task {n}"),
           )),
    Preset("rabbitmq", "rabbitmq-fanout", "Fanout pub-sub",
           "A fanout exchange copies every notification to the email, SMS and push queues.", (
               ("declare_exchange", {"name": "notifications", "exchange_type": "fanout"}),
               *_bound_queue("email", "notifications"), *_bound_queue("sms", "notifications"),
               *_bound_queue("push", "notifications"),
               _consumer("email-sender", "email", 1.0), _consumer("sms-sender", "sms", 0.5),
               _consumer("push-sender", "push", 0.25),
               _producer("signup-service", "notifications", "", 0.5, "welcome {n}"),
           )),
    Preset("rabbitmq", "rabbitmq-topic", "Topic routing",
           "A topic exchange routes by pattern: order.* , order.shipped and user.* — publish "
           "order.created, order.shipped or user.signup and see who gets a copy.", (
               ("declare_exchange", {"name": "events", "exchange_type": "topic"}),
               *_bound_queue("orders", "events", "order.*"),
               *_bound_queue("shipping", "events", "order.shipped"),
               *_bound_queue("users", "events", "user.*"),
               _consumer("order-service", "orders"), _consumer("shipping-service", "shipping"),
               _consumer("user-service", "users"),
               _producer("shop", "events", "order.created", 0.5, "order {n}"),
               _producer("courier", "events", "order.shipped", 0.25, "shipment {n}"),
           )),
    Preset("rabbitmq", "rabbitmq-dead-letter", "Dead-letter exchange",
           "The worker rejects a poison message without requeue; the queue's dead-letter "
           "exchange routes it to a parking queue, with an x-death header saying why.", (
               ("declare_exchange", {"name": "dlx", "exchange_type": "fanout"}),
               *_bound_queue("dead-letters", "dlx"),
               ("declare_queue", {"name": "orders", "dead_letter_exchange": "dlx"}),
               _consumer("order-worker", "orders", 0.5, on_poison="reject"),
               _producer("checkout", "", "orders", 0.5, "order {n}"),
           )),
)

KIT = BrokerKit(broker="rabbitmq", new_lab=Lab, commands=COMMANDS, presets=PRESETS,
                groups=("Messages", "Exchanges", "Queues", "Consumers", "Faults"))
