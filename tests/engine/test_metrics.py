"""Metrics over virtual time (engine/metrics.py): exact series for small scripted rooms,
determinism, bounded memory, and invariants under random command sequences."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Simulation


def rabbit_room(seed=0, **bounds):
    sim = Simulation(seed)
    recorder = sim.record_metrics(**bounds)
    channel = sim.rabbitmq.channel()
    channel.queue_declare("orders")
    return sim, recorder, channel


def series(recorder, node, name):
    return recorder.export()["nodes"][node][name]


def test_depth_rises_by_n_after_n_publishes_and_publish_rate_counts_them():
    sim, recorder, channel = rabbit_room()
    sim.advance(1.5)
    for _ in range(4):
        channel.basic_publish("", "orders", "x")
    sim.advance(2.5)
    out = recorder.export()
    assert out["t"] == [1.0, 2.0, 3.0, 4.0]
    node = out["nodes"]["rabbitmq:queue:orders"]
    assert node["depth"] == [0, 4, 4, 4]
    assert node["publish_rate"] == [0.0, 4.0, 0.0, 0.0]
    assert "lag" not in node  # a RabbitMQ queue has no consumer lag


def test_deliveries_and_acks_move_depth_to_in_flight_then_out():
    sim, recorder, channel = rabbit_room()
    for _ in range(3):
        channel.basic_publish("", "orders", "x")
    tags = []
    channel.basic_qos(prefetch_count=2)
    channel.basic_consume("orders", lambda ch, method, props, body: tags.append(
        method.delivery_tag))
    sim.advance(1)  # two delivered, one waits for a free prefetch slot
    channel.basic_ack(tags[0])
    sim.advance(1)
    node = recorder.export()["nodes"]["rabbitmq:queue:orders"]
    assert node["depth"] == [1, 0]
    assert node["in_flight"] == [2, 2]
    assert node["deliver_rate"] == [2.0, 1.0]
    assert node["ack_rate"] == [0.0, 1.0]
    assert node["consumers"] == [1, 1]


def test_kafka_lag_equals_end_offset_minus_committed():
    sim = Simulation()
    recorder = sim.record_metrics()
    sim.kafka.create_topic("clicks", num_partitions=1)
    consumer = sim.kafka.consumer(group_id="g", client_id="c1", auto_offset_reset="earliest")
    consumer.subscribe(["clicks"])
    producer = sim.kafka.producer()
    sim.advance(0)
    for i in range(5):
        producer.send("clicks", value=f"v{i}")
    consumer.poll(max_records=2)
    consumer.commit()
    sim.advance(1)
    for i in range(3):
        producer.send("clicks", value=f"w{i}")
    sim.advance(1)
    out = recorder.export()["nodes"]
    partition = out["kafka:partition:clicks/0"]
    assert partition["depth"] == [5, 8]
    assert partition["lag"] == [5 - 2, 8 - 2]
    assert partition["publish_rate"] == [5.0, 3.0]
    assert partition["consumers"] == [1, 1]
    assert out["kafka:group:g"]["lag"] == [3, 6]
    assert out["kafka:topic:clicks"]["depth"] == [5, 8]


def test_sqs_dead_letter_queue_depth_shows_on_the_source_queue():
    sim = Simulation()
    recorder = sim.record_metrics()
    sqs = sim.sqs
    dlq = sqs.create_queue("jobs-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(dlq, ["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue("jobs", {
        "VisibilityTimeout": "2",
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"1"}}'})["QueueUrl"]
    sqs.send_message(url, "poison")
    sqs.receive_message(url)
    sim.advance(2.5)  # visible again at 2: the next receive moves it to the DLQ
    sqs.receive_message(url)
    sim.advance(1)
    node = recorder.export()["nodes"]["sqs:queue:jobs"]
    assert node["in_flight"] == [1, 0, 0]
    assert node["dlq"] == [0, 0, 1]
    assert recorder.export()["nodes"]["sqs:queue:jobs-dlq"]["publish_rate"] == [0, 0, 1.0]


def busy_room(seed):
    sim, recorder, channel = rabbit_room(seed)
    channel.basic_qos(prefetch_count=3)

    def handle(ch, method, props, body):
        if sim.random.random() < 0.5:
            sim.call_later(sim.random.random() * 3, ch.basic_ack, method.delivery_tag)
        else:
            sim.call_later(sim.random.random() * 3, ch.basic_nack, method.delivery_tag)

    channel.basic_consume("orders", handle)

    def publish():
        channel.basic_publish("", "orders", "x")
        sim.call_later(sim.random.random(), publish)

    publish()
    return sim, recorder


def test_same_seed_gives_the_same_series_and_another_seed_differs():
    runs = []
    for seed in (4, 4, 5):
        sim, recorder = busy_room(seed)
        sim.advance(30)
        runs.append(recorder.export())
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_recording_changes_no_event_of_the_stream():
    def trace(record):
        sim = Simulation(3)
        events = []
        sim.subscribe(events.append)
        if record:
            sim.record_metrics(every=0.25)
        channel = sim.rabbitmq.channel()
        channel.queue_declare("q")
        for i in range(5):
            sim.call_later(i * 0.7, channel.basic_publish, "", "q", "x")
        steps = []
        while sim.step():
            steps.append(sim.now)
        return events, steps

    assert trace(True) == trace(False)


def test_a_long_run_keeps_a_bounded_number_of_points_covering_all_of_it():
    sim, recorder = busy_room(1)
    recorder.recent_limit, recorder.bucket_limit = 20, 10
    sim.advance(2000)
    points = recorder.points()
    assert len(points) <= 20 + 10
    assert points[-1][0] == 2000.0
    # the oldest samples are folded, never dropped: every one of the 2000 is counted
    assert recorder.older[0].start == 1.0
    assert sum(b.count for b in recorder.older) + len(recorder.recent) == 2000
    exported = recorder.export(max_points=8)
    assert len(exported["t"]) <= 8
    assert exported["t"][-1] == 2000.0
    # a values budget thins further: one node of 8 series in 24 values is 3 instants
    assert len(recorder.export(max_points=100, max_values=24)["t"]) <= 3


def test_a_jump_over_days_of_quiet_keeps_the_picture_in_a_few_points():
    # An SQS message's retention, a step four days on: nothing happens in between, so the
    # quiet stretch is one point (a sample a second would be 345,600 of them).
    sim, recorder, channel = rabbit_room()
    for _ in range(3):
        channel.basic_publish("", "orders", "x")
    sim.advance(2)
    sim.call_at(4 * 86_400.0, lambda: None)
    sim.advance_to(4 * 86_400.0)
    points = recorder.points()
    assert len(points) < 2 * recorder.recent_limit
    assert points[-1][0] == 4 * 86_400.0
    depths = series(recorder, "rabbitmq:queue:orders", "depth")
    assert set(depths) == {3}
    assert series(recorder, "rabbitmq:queue:orders", "publish_rate")[-1] == 0


def test_a_peak_survives_downsampling_and_rates_keep_their_mean():
    sim, recorder, channel = rabbit_room()
    recorder.recent_limit, recorder.bucket_limit = 4, 4
    for _ in range(9):
        channel.basic_publish("", "orders", "x")
    sim.advance(1)
    channel.queue_purge("orders")
    sim.advance(99)
    node = recorder.export(max_points=2)["nodes"]["rabbitmq:queue:orders"]
    assert node["depth"][0] == 9  # the gauge keeps its highest value
    assert 0 < node["publish_rate"][0] < 9  # the rate is averaged over its bucket


def test_a_deep_copy_carries_the_series_and_continues_them():
    sim, recorder, channel = rabbit_room()
    # bound methods only (a closure would keep acting on the original after the copy)
    for i in range(30):
        sim.call_at(i * 0.5, channel.basic_publish, "", "orders", "x")
        sim.call_at(i * 0.7, channel.basic_get, "orders", True)
    sim.advance(10)
    twin = copy.deepcopy(sim)
    sim.advance(5)
    twin.advance(5)
    assert twin.metrics is not recorder
    assert twin.metrics.export()["t"][-1] == 15.0
    assert twin.metrics.export() == recorder.export()


@st.composite
def commands(draw):
    return draw(st.lists(st.tuples(st.sampled_from(["publish", "get", "ack", "wait"]),
                                   st.floats(0, 2.5)), max_size=40))


@settings(max_examples=40, deadline=None)
@given(commands())
def test_metrics_are_never_negative_and_depth_is_the_queues_at_that_instant(script):
    sim, recorder, channel = rabbit_room(recent=1000)
    channel.queue_declare("other")
    unacked = []
    published = acked = 0
    for action, value in script:
        if action == "publish":
            published += value < 1.2
            channel.basic_publish("", "orders" if value < 1.2 else "other", "x")
        elif action == "get":
            got = channel.basic_get("orders")
            if got[0] is not None:
                unacked.append(got[0].delivery_tag)
        elif action == "ack" and unacked:
            channel.basic_ack(unacked.pop(0))
            acked += 1
        # run to the next sample instant and compare it with the broker's own answer
        sim.advance_to(float(int(sim.now) + 1))
        at, row = recorder.points()[-1]
        assert at == sim.now
        contents = sim.snapshot()["contents"]  # what a client's diagram shows now
        for node in ("rabbitmq:queue:orders", "rabbitmq:queue:other"):
            counters = contents[node]["counters"]
            assert row[node][:2] == (counters["ready"], counters["unacked"])
        sim.advance(value)
    for _, row in recorder.points():
        for values in row.values():
            assert all(v is None or v >= 0 for v in values)
    # every publish and every ack is counted once, on the queue it concerns
    orders = recorder.export(max_points=1000)["nodes"].get("rabbitmq:queue:orders", {})
    assert sum(orders.get("publish_rate", [])) == published
    assert sum(orders.get("ack_rate", [])) == acked
