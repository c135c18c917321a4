"""AMQP 0-9-1 for real clients: pika, aio-pika, amqplib and others drive a RabbitMQ room.

- ``listener``: the asyncio server started with daphne on ``MQLAB_AMQP_PORT``;
- ``session``: one connection (handshake, heartbeats, the outbox, closes);
- ``channel``: one channel (its methods, a publish's content, the frames sent on it);
- ``errors``: how a connection ends (closed, or connection.close with a reply code);
- ``frames``: frames on the socket (pamqp is the codec) and the values a room's log keeps;
- ``rooms``: which room a connection opens (virtual host = room id, password = its token).

Each channel method a client sends becomes one journaled ``amqp`` command of the room
(``mqlab.commands._amqp``), so replay, saving, sharing and time travel keep working, and its
messages animate from and to the client's node (``mqlab.rooms.realclients``).

Methods supported (AMQP 0-9-1 with RabbitMQ's extensions): connection.start/start-ok
(PLAIN), tune/tune-ok, open/open-ok, close/close-ok, blocked/unblocked, update-secret;
channel.open/close, channel.flow (active=true only, as RabbitMQ); exchange.declare/delete/
bind/unbind; queue.declare/bind/unbind/purge/delete; basic.qos/consume/cancel/publish/
return/deliver/get/get-empty/ack/nack/reject/recover/recover-async; confirm.select with
basic.ack/basic.nack confirms. Not supported: tx.* (540 NOT_IMPLEMENTED), and
authentication mechanisms other than PLAIN.
"""
