"""The journaled ``amqp`` command (mqlab/commands/_amqp.py) without a socket: what a real
client's connection is sent, in RabbitMQ's order, and the log replaying to the same room."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mqlab.commands import _amqp
from mqlab.presets import find
from mqlab.rooms import Room

OWNER = "owner"


class Client:
    """One connection's commands, and what its outbox received."""

    def __init__(self, room: Room, key: str = "client:1") -> None:
        self.room, self.key = room, key
        self.sent: list[tuple] = []
        assert self.run(0, "connection.open", label="test client",
                        capabilities={"consumer_cancel_notify": True}).ok
        real = _amqp.clients(room.lab).connections[key]
        real.notify = lambda: self.sent.extend(real.outbox.popleft()
                                               for _ in range(len(real.outbox)))

    def run(self, channel: int, method: str, **args):
        return self.room.run_command(OWNER, "amqp", {"connection": self.key, "channel": channel,
                                                     "method": method, "args": args})

    def reply(self):
        return _amqp.clients(self.room.lab).last.reply

    def kinds(self) -> list[str]:
        return [item[0] for item in self.sent]


def new_room() -> Room:
    return Room("t", find("rabbitmq-playground"), seed=3, owner=OWNER)


def test_a_mandatory_message_is_returned_before_its_confirm():
    client = Client(new_room())
    client.run(1, "channel.open")
    client.run(1, "confirm.select")
    client.run(1, "exchange.declare", exchange="events", exchange_type="topic")
    assert client.run(1, "basic.publish", exchange="events", routing_key="nowhere",
                      mandatory=True, body="lost").ok
    client.room.tick(0.1)
    assert client.kinds() == ["return", "confirm"]
    _, channel, method, _properties, body = client.sent[0]
    assert (channel, method.reply_code, method.reply_text, body) == (1, 312, "NO_ROUTE", "lost")
    assert client.sent[1] == ("confirm", 1, 1, True)


def test_deliveries_respect_prefetch_and_a_refusal_closes_only_the_channel():
    client = Client(new_room())
    client.run(1, "channel.open")
    client.run(1, "queue.declare", queue="tasks")
    for n in range(3):
        client.run(1, "basic.publish", exchange="", routing_key="tasks", body=f"t{n}")
    client.run(1, "basic.qos", prefetch_count=2, global_qos=False, prefetch_size=0)
    client.run(1, "basic.consume", queue="tasks", consumer_tag="c")
    assert client.reply() == {"consumer_tag": "c"}
    delivered = [item for item in client.sent if item[0] == "deliver"]
    assert [(d[2].delivery_tag, d[4]) for d in delivered] == [(1, "t0"), (2, "t1")]
    client.run(1, "basic.ack", delivery_tag=2, multiple=True)
    assert [d[4] for d in client.sent if d[0] == "deliver"] == ["t0", "t1", "t2"]
    client.run(2, "channel.open")
    assert not client.run(2, "basic.ack", delivery_tag=99, multiple=False).ok
    assert client.sent[-1] == ("channel.close", 2, 406,
                               "PRECONDITION_FAILED - unknown delivery tag 99")
    assert client.run(1, "queue.declare", queue="tasks", passive=True).ok  # channel 1 lives
    assert client.reply() == {"queue": "tasks", "message_count": 0, "consumer_count": 1}


def test_closing_the_connection_requeues_its_unacked_messages():
    client = Client(new_room())
    client.run(1, "channel.open")
    client.run(1, "queue.declare", queue="q")
    client.run(1, "basic.publish", exchange="", routing_key="q", body="x")
    client.run(1, "basic.get", queue="q", no_ack=False)
    assert client.reply()["body"] == "x"
    assert client.room.sim.rabbitmq.queues["q"]["ready"] == 0
    client.run(0, "connection.close", text="bye")
    assert client.room.sim.rabbitmq.queues["q"]["ready"] == 1


STEPS = st.lists(st.one_of(
    st.tuples(st.just("basic.publish"), st.sampled_from(["a", "b", "none"]), st.booleans()),
    st.tuples(st.just("basic.get"), st.sampled_from(["a", "b"]), st.booleans()),
    st.tuples(st.just("basic.consume"), st.sampled_from(["a", "b"]), st.integers(0, 3)),
    st.tuples(st.just("basic.ack"), st.integers(0, 6), st.booleans()),
    st.tuples(st.just("basic.nack"), st.integers(1, 6), st.booleans()),
    st.tuples(st.just("confirm.select"), st.none(), st.none()),
    st.tuples(st.just("channel.close"), st.none(), st.none()),
    st.tuples(st.just("tick"), st.none(), st.none()),
), max_size=25)


@settings(max_examples=40, deadline=None)
@given(STEPS)
def test_any_sequence_of_client_methods_replays_to_the_same_room(steps):
    room = new_room()
    client = Client(room)
    client.run(1, "channel.open")
    for queue in ("a", "b"):
        client.run(1, "queue.declare", queue=queue)
    for method, first, second in steps:
        if method == "tick":
            room.tick(0.5)
            continue
        if method == "channel.close":
            client.run(1, "channel.close")
            client.run(1, "channel.open")
            continue
        args = {"basic.publish": {"exchange": "", "routing_key": first, "mandatory": second,
                                  "body": "m"},
                "basic.get": {"queue": first, "no_ack": second},
                "basic.consume": {"queue": first, "no_ack": second == 0},
                "basic.ack": {"delivery_tag": first, "multiple": second},
                "basic.nack": {"delivery_tag": first, "multiple": False, "requeue": second},
                "confirm.select": {}}[method]
        if not client.run(1, method, **args).ok and 1 not in \
                _amqp.clients(room.lab).connections[client.key].channels:
            client.run(1, "channel.open")  # a refusal closed it: the client opens another
    replayed = Room("t", find("rabbitmq-playground"), seed=3, owner=OWNER, log=room.log,
                    now=room.sim.now)
    assert replayed.notice is None
    assert replayed.sim.seq == room.sim.seq
    assert replayed.sim.rabbitmq.queues == room.sim.rabbitmq.queues
    assert replayed.sim.rabbitmq.consumers == room.sim.rabbitmq.consumers
    # Messages are conserved: every one published is in a queue, unacked, or was settled.
    held = sum(q["ready"] + q["unacked"] for q in room.sim.rabbitmq.queues.values())
    assert held <= sum(1 for m, first, _ in steps if m == "basic.publish" and first != "none")
