"""One AMQP channel of a connection: its methods in order, a publish's content, and the
frames the broker sends on it (``mqlab.amqp.session`` owns the connection).

A method becomes one ``amqp`` command of the room (``FIELDS`` maps pamqp's field names to the
engine's), answered with its -ok (``REPLIES``) unless it asked for ``nowait``. A publish is a
method, a content header and body frames up to the header's size; a content frame out of
place is 505 UNEXPECTED_FRAME. Once the server has sent channel.close, everything on the
channel but close and close-ok is discarded until close-ok (AMQP 0-9-1, channel.close).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pamqp import body as content_body
from pamqp import commands as spec
from pamqp import header

from mqlab.amqp import frames
from mqlab.amqp.errors import ConnectionClose, method_ids
from mqlab.amqp.frames import method

if TYPE_CHECKING:
    from mqlab.amqp.session import Session

#: Methods whose fields go to the engine as they are (pamqp's field names -> the engine's).
FIELDS = {
    "Exchange.Declare": ("exchange.declare", {"exchange": "exchange",
                                              "exchange_type": "exchange_type",
                                              "passive": "passive", "durable": "durable",
                                              "auto_delete": "auto_delete",
                                              "internal": "internal",
                                              "arguments": "arguments"}),
    "Exchange.Delete": ("exchange.delete", {"exchange": "exchange", "if_unused": "if_unused"}),
    "Exchange.Bind": ("exchange.bind", {"destination": "destination", "source": "source",
                                        "routing_key": "routing_key",
                                        "arguments": "arguments"}),
    "Exchange.Unbind": ("exchange.unbind", {"destination": "destination", "source": "source",
                                            "routing_key": "routing_key",
                                            "arguments": "arguments"}),
    "Queue.Declare": ("queue.declare", {"queue": "queue", "passive": "passive",
                                        "durable": "durable", "exclusive": "exclusive",
                                        "auto_delete": "auto_delete", "arguments": "arguments"}),
    "Queue.Bind": ("queue.bind", {"queue": "queue", "exchange": "exchange",
                                  "routing_key": "routing_key", "arguments": "arguments"}),
    "Queue.Unbind": ("queue.unbind", {"queue": "queue", "exchange": "exchange",
                                      "routing_key": "routing_key", "arguments": "arguments"}),
    "Queue.Purge": ("queue.purge", {"queue": "queue"}),
    "Queue.Delete": ("queue.delete", {"queue": "queue", "if_unused": "if_unused",
                                      "if_empty": "if_empty"}),
    "Basic.Qos": ("basic.qos", {"prefetch_count": "prefetch_count", "global_": "global_qos",
                                "prefetch_size": "prefetch_size"}),
    "Basic.Consume": ("basic.consume", {"queue": "queue", "consumer_tag": "consumer_tag",
                                        "no_ack": "no_ack", "exclusive": "exclusive",
                                        "arguments": "arguments"}),
    "Basic.Cancel": ("basic.cancel", {"consumer_tag": "consumer_tag"}),
    "Basic.Get": ("basic.get", {"queue": "queue", "no_ack": "no_ack"}),
    "Basic.Ack": ("basic.ack", {"delivery_tag": "delivery_tag", "multiple": "multiple"}),
    "Basic.Nack": ("basic.nack", {"delivery_tag": "delivery_tag", "multiple": "multiple",
                                  "requeue": "requeue"}),
    "Basic.Reject": ("basic.reject", {"delivery_tag": "delivery_tag", "requeue": "requeue"}),
    "Basic.Recover": ("basic.recover", {"requeue": "requeue"}),
    "Basic.RecoverAsync": ("basic.recover", {"requeue": "requeue"}),
    "Confirm.Select": ("confirm.select", {}),
}
#: The -ok each method answers with (None: no answer), built from the engine's reply.
REPLIES: dict[str, Any] = {
    "Exchange.Declare": lambda r, f: spec.Exchange.DeclareOk(),
    "Exchange.Delete": lambda r, f: spec.Exchange.DeleteOk(),
    "Exchange.Bind": lambda r, f: spec.Exchange.BindOk(),
    "Exchange.Unbind": lambda r, f: spec.Exchange.UnbindOk(),
    "Queue.Declare": lambda r, f: method(spec.Queue.DeclareOk, queue=r["queue"],
                                         message_count=r["message_count"],
                                         consumer_count=r["consumer_count"]),
    "Queue.Bind": lambda r, f: spec.Queue.BindOk(),
    "Queue.Unbind": lambda r, f: spec.Queue.UnbindOk(),
    "Queue.Purge": lambda r, f: spec.Queue.PurgeOk(r.get("message_count", 0)),
    "Queue.Delete": lambda r, f: spec.Queue.DeleteOk(r.get("message_count", 0)),
    "Basic.Qos": lambda r, f: spec.Basic.QosOk(),
    "Basic.Consume": lambda r, f: method(spec.Basic.ConsumeOk, consumer_tag=r["consumer_tag"]),
    "Basic.Cancel": lambda r, f: method(spec.Basic.CancelOk, consumer_tag=f.consumer_tag),
    "Basic.Recover": lambda r, f: spec.Basic.RecoverOk(),
    "Confirm.Select": lambda r, f: spec.Confirm.SelectOk(),
}


class Channel:
    """One open channel: methods in order, with a publish's content header and body."""

    def __init__(self, session: Session, number: int) -> None:
        self.session = session
        self.number = number
        self.publish: Any = None  # the basic.publish whose content is being read
        self.header: Any = None
        self.body: list[bytes] = []
        self.size = 0
        self.closing = False  # the server sent channel.close: discard all but close/close-ok

    async def receive(self, value: Any) -> None:
        if self.closing:
            if isinstance(value, spec.Channel.CloseOk):
                self.session.channels.pop(self.number, None)
            elif isinstance(value, spec.Channel.Close):
                self.session.write(spec.Channel.CloseOk(), self.number)
            return
        if self.publish is not None:
            await self.content(value)
        elif isinstance(value, spec.Basic.Publish):
            self.publish = value
        elif isinstance(value, header.ContentHeader | content_body.ContentBody):
            raise ConnectionClose(505, f"UNEXPECTED_FRAME - expected method frame, got non "
                                   f"method frame instead on channel {self.number}")
        else:
            await self.method(value)

    async def method(self, value: Any) -> None:
        name = value.name
        if name == "Channel.Close":
            await self.run("channel.close", {}, value, spec.Channel.CloseOk())
            self.session.channels.pop(self.number, None)
            return
        if name == "Channel.Flow":
            if not value.active:  # rabbit_channel: flow control is the broker's, not a client's
                raise ConnectionClose(540, "NOT_IMPLEMENTED - active=false", value)
            self.session.write(spec.Channel.FlowOk(True), self.number)
            return
        if name == "Basic.Get":
            await self.get(value)
            return
        known = FIELDS.get(name)
        if known is None:
            raise ConnectionClose(540, f"NOT_IMPLEMENTED - {name} is not simulated by mqlab "
                                   "(transactions, channel.flow and access are not modelled)",
                                   value)
        engine_name, names = known
        args = {mine: frames.to_log(getattr(value, theirs)) for theirs, mine in names.items()}
        make = REPLIES.get(name)
        reply = None if make is None or getattr(value, "nowait", False) else make
        await self.run(engine_name, args, value, reply)

    async def run(self, name: str, args: dict, value: Any, reply: Any) -> None:
        session = self.session
        async with session.turn:
            result = await session.command(self.number, name, args, value)
            if result is None:
                return  # refused: the close went out
            if reply is not None:
                session.write(reply(result, value) if callable(reply) else reply, self.number)
            await session.flush(value)

    async def get(self, value: Any) -> None:
        session = self.session
        async with session.turn:
            result = await session.command(self.number, "basic.get",
                                           {"queue": value.queue, "no_ack": value.no_ack}, value)
            if result is None:
                return
            if result["empty"]:
                session.write(spec.Basic.GetEmpty(), self.number)
            else:
                get_ok = method(spec.Basic.GetOk, delivery_tag=result["delivery_tag"],
                                redelivered=result["redelivered"], exchange=result["exchange"],
                                routing_key=result["routing_key"],
                                message_count=result["message_count"])
                session.write_raw(frames.content(get_ok, self.number, result["properties"],
                                                 result["body"], session.frame_max))
            await session.flush(value)

    # -- a publish's content -------------------------------------------------------------------
    async def content(self, value: Any) -> None:
        if self.header is None:
            if not isinstance(value, header.ContentHeader):
                raise ConnectionClose(505, "UNEXPECTED_FRAME - expected content header for "
                                       "class 60, got non content header frame instead",
                                       self.publish)
            self.header = value
            limit = self.session.room.sim.limits.max_body_bytes
            if value.body_size > limit:
                await self.fail(406, f"PRECONDITION_FAILED - message size {value.body_size} is "
                                f"larger than configured max size {limit}")
                return
        elif not isinstance(value, content_body.ContentBody):
            raise ConnectionClose(505, "UNEXPECTED_FRAME - expected content body, got non "
                                   "content body frame instead", self.publish)
        else:
            self.body.append(value.value)
            self.size += len(value.value)
            if self.size > self.header.body_size:
                raise ConnectionClose(501, "FRAME_ERROR - the content body is longer than the "
                                       "content header's body size", self.publish)
        if self.size == self.header.body_size:
            await self.published()

    async def published(self) -> None:
        publish, head, body = self.publish, self.header, b"".join(self.body)
        self.publish, self.header, self.body, self.size = None, None, [], 0
        properties = frames.from_wire(head.properties)
        user = properties.get("user_id")
        if user is not None and user != "mqlab":  # RabbitMQ's validated user-id
            await self.fail(406, f"PRECONDITION_FAILED - user_id property set to '{user}' but "
                            "authenticated user was 'mqlab'")
            return
        await self.run("basic.publish", {
            "exchange": publish.exchange, "routing_key": publish.routing_key,
            "mandatory": bool(publish.mandatory), "properties": properties,
            **frames.body_args(body)}, publish, None)

    async def fail(self, code: int, text: str) -> None:
        """A channel error the listener found: the engine closes the channel (journaled)."""
        session = self.session
        async with session.turn:
            await session.command(self.number, "channel.fail", {"code": code, "text": text},
                                  self.publish)
            self.publish, self.header, self.body, self.size = None, None, [], 0
        # The rest of this message's frames are discarded until close-ok (``closing``).

    # -- frames the broker sends ----------------------------------------------------------------
    def send(self, kind: str, rest: tuple[Any, ...], about: Any) -> None:
        session, number = self.session, self.number
        if kind == "deliver":
            deliver, properties, body = rest
            frame = method(spec.Basic.Deliver, consumer_tag=deliver.consumer_tag,
                           delivery_tag=deliver.delivery_tag, redelivered=deliver.redelivered,
                           exchange=deliver.exchange, routing_key=deliver.routing_key)
            session.write_raw(frames.content(frame, number, properties, body,
                                             session.frame_max))
        elif kind == "return":
            returned, properties, body = rest
            frame = method(spec.Basic.Return, reply_code=returned.reply_code,
                           reply_text=returned.reply_text, exchange=returned.exchange,
                           routing_key=returned.routing_key)
            session.write_raw(frames.content(frame, number, properties, body,
                                             session.frame_max))
        elif kind == "confirm":
            tag, ack = rest
            session.write(spec.Basic.Ack(tag) if ack else spec.Basic.Nack(tag, requeue=False),
                          number)
        elif kind == "cancel":
            session.write(method(spec.Basic.Cancel, consumer_tag=rest[0]), number)
        elif kind == "channel.close":
            code, text = rest
            self.closing = True
            self.publish, self.header, self.body, self.size = None, None, [], 0
            class_id, method_id = method_ids(about)
            session.write(method(spec.Channel.Close, reply_code=code,
                                 reply_text=session.vhost_text(text), class_id=class_id,
                                 method_id=method_id), number)
