"""Hypothesis: random RabbitMQ sessions keep every message in one place, and replay exactly.

A state machine drives random declares, binds, publishes, consumes, acks, nacks, rejects,
gets, cancels, channel and connection closes, crashes, purges, deletes, restarts, memory
watermarks (blocked connections hold publishes) and clock advances. After every
step each message copy must be in exactly one place or have a terminal last event
(``conservation_violations``). At the end the same operations are replayed on a fresh
simulation with the same seed, and the event lists must be equal; replayed once more with
nobody listening, the same number of events happen and every message ends in the same place.
"""

import contextlib

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from engine import EngineError, Simulation
from engine.invariants import budget_violations, conservation_violations
from engine.rabbitmq import BasicProperties

QUEUES = ["q1", "q2", "dead", "q3", "qq1"]
EXCHANGES = ["", "x.topic", "x.fanout", "dlx", "x.direct"]
KEYS = ["q1", "q2", "dead", "a.b", "a", ""]
BINDING_KEYS = ["#", "a.*", "*.b", "q1", ""]
BEHAVIOURS = ["hold", "ack", "retry-once", "reject"]
QUEUE_ARGUMENTS = st.fixed_dictionaries({}, optional={
    "x-dead-letter-exchange": st.sampled_from(["dlx", "", "missing"]),
    "x-message-ttl": st.integers(0, 3000),
    "x-max-length": st.integers(0, 3),
    "x-overflow": st.sampled_from(["drop-head", "reject-publish", "reject-publish-dlx"]),
    "x-max-priority": st.integers(1, 3),
    "x-single-active-consumer": st.booleans(),
    "x-expires": st.sampled_from([500, 2000]),
    "x-consumer-timeout": st.sampled_from([1000, 60000]),
})


class World:
    """A simulation plus what the fake clients hold; ``perform`` applies one operation."""

    def __init__(self, seed, listen=True):
        self.sim = Simulation(seed)
        self.events = []
        if listen:
            self.sim.subscribe(self.events.append)
        self.channels = [self.sim.rabbitmq.channel(), self.sim.rabbitmq.channel()]
        self.shared = None
        self._declare_base_topology(self.channels[0])

    @staticmethod
    def _declare_base_topology(ch):
        ch.exchange_declare("x.topic", "topic", durable=True)
        ch.exchange_declare("x.fanout", "fanout", durable=True)
        ch.exchange_declare("dlx", "fanout", durable=True)
        ch.queue_declare("dead", durable=True)
        ch.queue_bind("dead", "dlx")
        ch.queue_declare("q1", durable=True, arguments={"x-dead-letter-exchange": "dlx"})
        ch.queue_declare("q2", arguments={"x-max-length": 2, "x-message-ttl": 1000,
                                          "x-dead-letter-exchange": "dlx"})
        ch.queue_bind("q1", "x.topic", "a.*")
        ch.queue_bind("q2", "x.topic", "#")
        ch.queue_bind("q1", "x.fanout")
        ch.queue_bind("q2", "x.fanout")

    def channel(self, index):
        """The index-th open channel; a fresh one when every channel has been closed."""
        open_channels = [c for c in self.channels if c.is_open]
        if not open_channels:
            self.channels.append(self.sim.rabbitmq.channel())
            open_channels = self.channels[-1:]
        return open_channels[index % len(open_channels)]

    def perform(self, op):
        name, *args = op
        # A refused command raises; the channel may have closed, as RabbitMQ would close it.
        with contextlib.suppress(EngineError):
            getattr(self, f"do_{name}")(*args)

    def do_open(self):
        self.channels.append(self.sim.rabbitmq.channel())

    def do_open_shared(self):
        """A channel on the shared connection (a new one once the last was closed)."""
        if self.shared is None or self.shared.is_closed:
            self.shared = self.sim.rabbitmq.connection()
        self.channels.append(self.shared.channel())

    def do_close_shared(self):
        if self.shared is not None:
            self.shared.close()

    def do_declare_queue(self, ch, queue, durable, arguments):
        if queue not in self.sim.rabbitmq.queues:  # a different re-declare would only fail
            self.channel(ch).queue_declare(queue, durable=durable, arguments=arguments)

    def do_declare_quorum(self, ch, queue, limit):
        if queue not in self.sim.rabbitmq.queues:
            self.channel(ch).queue_declare(queue, durable=True, arguments={
                "x-queue-type": "quorum", "x-delivery-limit": limit,
                "x-dead-letter-exchange": "dlx"})

    def do_declare_exchange(self, ch, exchange, kind, durable):
        if exchange not in self.sim.rabbitmq.exchanges:
            self.channel(ch).exchange_declare(exchange, kind, durable=durable)

    def do_bind(self, ch, queue, exchange, key):
        self.channel(ch).queue_bind(queue, exchange, key)

    def do_bind_exchange(self, ch, destination, source, key):
        self.channel(ch).exchange_bind(destination, source, key)

    def do_publish(self, ch, exchange, key, priority, expiration, persistent, mandatory,
                   count):
        props = BasicProperties(priority=priority, expiration=expiration,
                                delivery_mode=2 if persistent else None)
        for _ in range(count):
            self.channel(ch).basic_publish(exchange, key, b"body", props, mandatory=mandatory)

    def do_consume(self, ch, queue, behaviour, auto_ack, prefetch, priority):
        channel = self.channel(ch)
        channel.basic_qos(prefetch_count=prefetch)
        channel.basic_consume(queue, _callback(behaviour), auto_ack=auto_ack,
                              arguments={"x-priority": priority})

    def do_settle(self, ch, pick, how, requeue, multiple, bogus):
        channel = self.channel(ch)
        tags = sorted(channel.unacked)
        if bogus or not tags:
            tags = [channel.next_tag + 1 + pick]  # never delivered: closes the channel
        tag = tags[pick % len(tags)]
        if how == "ack":
            channel.basic_ack(tag, multiple=multiple)
        elif how == "nack":
            channel.basic_nack(tag, multiple=multiple, requeue=requeue)
        else:
            channel.basic_reject(tag, requeue=requeue)

    def do_get(self, ch, queue, auto_ack):
        self.channel(ch).basic_get(queue, auto_ack=auto_ack)

    def do_cancel(self, ch, pick):
        channel = self.channel(ch)
        tags = sorted(channel.consumers)
        if tags:
            channel.basic_cancel(tags[pick % len(tags)])

    def do_close(self, ch):
        self.channel(ch).close()

    def do_crash(self, pick):
        tags = sorted(self.sim.rabbitmq.consumers)
        if tags:
            self.sim.rabbitmq.crash_connection(tags[pick % len(tags)])

    def do_purge(self, ch, queue):
        self.channel(ch).queue_purge(queue)

    def do_delete_queue(self, ch, queue):
        self.channel(ch).queue_delete(queue)

    def do_delete_exchange(self, ch, exchange):
        self.channel(ch).exchange_delete(exchange)

    def do_restart(self):
        self.sim.rabbitmq.restart()

    def do_advance(self, seconds):
        self.sim.advance(seconds)

    def do_watermark(self, messages):
        self.sim.rabbitmq.set_memory_high_watermark(messages=messages)


def _callback(behaviour):
    def on_message(channel, method, properties, body):
        if behaviour == "ack":
            channel.basic_ack(method.delivery_tag)
        elif behaviour == "retry-once":  # requeue once, then ack: never an endless loop
            if method.redelivered:
                channel.basic_ack(method.delivery_tag)
            else:
                channel.basic_nack(method.delivery_tag, requeue=True)
        elif behaviour == "reject":  # once per message: a reject loop through a DLX back into
            # the same queue would spin forever, in RabbitMQ as here
            if "x-death" in (properties.headers or {}):
                channel.basic_ack(method.delivery_tag)
            else:
                channel.basic_reject(method.delivery_tag, requeue=False)
    return on_message


CH = st.integers(0, 3)


class RabbitSessions(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.seed = 11
        self.world = World(self.seed)
        self.ops = []

    def run(self, *op):
        self.ops.append(op)
        self.world.perform(op)

    @rule()
    def open_channel(self):
        self.run("open")

    @rule()
    def open_shared_channel(self):
        self.run("open_shared")

    @rule()
    def close_shared_connection(self):
        self.run("close_shared")

    @rule(ch=CH, queue=st.sampled_from(QUEUES), durable=st.booleans(),
          arguments=QUEUE_ARGUMENTS)
    def declare_queue(self, ch, queue, durable, arguments):
        self.run("declare_queue", ch, queue, durable, arguments)

    @rule(ch=CH, queue=st.sampled_from(["qq1", "qq2"]), limit=st.integers(0, 2))
    def declare_quorum(self, ch, queue, limit):
        self.run("declare_quorum", ch, queue, limit)

    @rule(ch=CH, exchange=st.sampled_from(["x.direct", "x.other"]),
          kind=st.sampled_from(["direct", "fanout", "topic"]), durable=st.booleans())
    def declare_exchange(self, ch, exchange, kind, durable):
        self.run("declare_exchange", ch, exchange, kind, durable)

    @rule(ch=CH, queue=st.sampled_from(QUEUES), exchange=st.sampled_from(EXCHANGES[1:]),
          key=st.sampled_from(BINDING_KEYS))
    def bind(self, ch, queue, exchange, key):
        self.run("bind", ch, queue, exchange, key)

    @rule(ch=CH, destination=st.sampled_from(EXCHANGES[1:]),
          source=st.sampled_from(EXCHANGES[1:]), key=st.sampled_from(BINDING_KEYS))
    def bind_exchange(self, ch, destination, source, key):
        self.run("bind_exchange", ch, destination, source, key)

    @rule(ch=CH, exchange=st.sampled_from(EXCHANGES), key=st.sampled_from(KEYS),
          priority=st.none() | st.integers(0, 5),
          expiration=st.none() | st.sampled_from(["0", "500", "2000"]),
          persistent=st.booleans(), mandatory=st.booleans(), count=st.integers(1, 6))
    def publish(self, ch, exchange, key, priority, expiration, persistent, mandatory, count):
        self.run("publish", ch, exchange, key, priority, expiration, persistent, mandatory,
                 count)

    @rule(ch=CH, queue=st.sampled_from(QUEUES), behaviour=st.sampled_from(BEHAVIOURS),
          auto_ack=st.booleans(), prefetch=st.integers(0, 3), priority=st.integers(-1, 1))
    def consume(self, ch, queue, behaviour, auto_ack, prefetch, priority):
        self.run("consume", ch, queue, behaviour, auto_ack, prefetch, priority)

    @rule(ch=CH, pick=st.integers(0, 5), how=st.sampled_from(["ack", "nack", "reject"]),
          requeue=st.booleans(), multiple=st.booleans(),
          bogus=st.sampled_from([False] * 9 + [True]))
    def settle(self, ch, pick, how, requeue, multiple, bogus):
        self.run("settle", ch, pick, how, requeue, multiple, bogus)

    @rule(ch=CH, queue=st.sampled_from(QUEUES), auto_ack=st.booleans())
    def get(self, ch, queue, auto_ack):
        self.run("get", ch, queue, auto_ack)

    @rule(ch=CH, pick=st.integers(0, 3))
    def cancel(self, ch, pick):
        self.run("cancel", ch, pick)

    @rule(ch=CH)
    def close(self, ch):
        self.run("close", ch)

    @rule(pick=st.integers(0, 3))
    def crash(self, pick):
        self.run("crash", pick)

    @rule(ch=CH, queue=st.sampled_from(QUEUES))
    def purge(self, ch, queue):
        self.run("purge", ch, queue)

    @rule(ch=CH, queue=st.sampled_from(QUEUES))
    def delete_queue(self, ch, queue):
        self.run("delete_queue", ch, queue)

    @rule(ch=CH, exchange=st.sampled_from(["x.direct", "x.other"]))
    def delete_exchange(self, ch, exchange):
        self.run("delete_exchange", ch, exchange)

    @rule()
    def restart(self):
        self.run("restart")

    @rule(messages=st.none() | st.integers(1, 6))
    def watermark(self, messages):
        self.run("watermark", messages)

    @rule(seconds=st.sampled_from([0, 0.25, 1, 3, 61]))
    def advance(self, seconds):
        self.run("advance", seconds)

    @invariant()
    def the_rooms_account_matches_a_scan(self):
        assert budget_violations(self.world.sim) == []

    @invariant()
    def every_message_is_in_one_place_or_ended(self):
        problems = conservation_violations(self.world.events, self.world.sim.locations())
        assert problems == []

    def teardown(self):
        replay, unheard = World(self.seed), World(self.seed, listen=False)
        for op in self.ops:
            replay.perform(op)
            unheard.perform(op)
        assert replay.events == self.world.events
        # Nobody listening skips building reasons and details, and must change nothing else.
        assert unheard.sim.seq == self.world.sim.seq
        assert list(unheard.sim.locations()) == list(self.world.sim.locations())


RabbitSessions.TestCase.settings = settings(max_examples=400, stateful_step_count=50,
                                            deadline=None)
test_random_rabbitmq_sessions_conserve_messages_and_replay_identically = RabbitSessions.TestCase
