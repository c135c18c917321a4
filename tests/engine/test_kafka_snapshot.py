"""What the diagram draws: nodes, edges, per-node contents, and redraw events."""

import json

from engine import Simulation
from engine.events import TOPOLOGY_KINDS as SHARED_TOPOLOGY_KINDS
from engine.kafka import TOPOLOGY_KINDS


def scenario(sim):
    kafka = sim.kafka
    clients = {}
    yield lambda: kafka.create_topic("orders", num_partitions=2, replication_factor=2)
    yield lambda: clients.update(shop=kafka.producer(client_id="shop"))
    yield lambda: clients["shop"].send("orders", value="v", key="k")
    yield lambda: clients.update(c1=kafka.consumer(group_id="g", client_id="c1"))
    yield lambda: clients.update(c2=kafka.consumer(group_id="g", client_id="c2"))
    c1, c2 = clients["c1"], clients["c2"]
    yield lambda: c1.subscribe(["orders"])
    yield lambda: sim.advance(0)
    yield lambda: c2.subscribe(["orders"])
    yield lambda: sim.advance(0)
    yield lambda: kafka.kill_broker(1)
    yield lambda: kafka.restore_broker(1)
    yield lambda: sim.advance(0)
    yield lambda: kafka.create_partitions("orders", 3)
    yield lambda: sim.advance(0)
    yield lambda: c2.crash()
    yield lambda: sim.advance(45)
    yield lambda: c1.close()
    yield lambda: sim.advance(0)
    yield lambda: clients["shop"].close()
    yield lambda: kafka.delete_topic("orders")
    yield lambda: kafka.consumer(client_id="loner").crash()


def test_every_change_to_the_drawing_comes_with_a_topology_event():
    sim = Simulation(seed=4)
    events = []
    sim.subscribe(events.append)
    redraw = TOPOLOGY_KINDS | SHARED_TOPOLOGY_KINDS
    for step in scenario(sim):
        before, seen = sim.topology(), len(events)
        step()
        if sim.topology() != before:
            assert {e.kind for e in events[seen:]} & redraw, [e.kind for e in events[seen:]]


def test_topology_has_producers_topics_partitions_brokers_groups_and_consumers():
    sim = Simulation(seed=4)
    kafka = sim.kafka
    kafka.create_topic("orders", num_partitions=2, replication_factor=2)
    kafka.producer(client_id="shop").send("orders", value="v", partition=1)
    consumer = kafka.consumer(group_id="g", client_id="c1")
    consumer.subscribe(["orders"])
    sim.advance(0)
    topology = sim.topology()
    nodes = {n["id"]: n for n in topology["nodes"]}
    assert {"kafka:producer:shop", "kafka:topic:orders", "kafka:partition:orders/0",
            "kafka:partition:orders/1", "kafka:broker:1", "kafka:broker:2", "kafka:broker:3",
            "kafka:group:g", "kafka:consumer:c1"} == set(nodes)
    assert [nodes[i]["column"] for i in ("kafka:producer:shop", "kafka:topic:orders",
                                         "kafka:partition:orders/0", "kafka:consumer:c1")] \
        == [0, 1, 2, 3]
    edges = {(e["source"], e["target"], e["kind"], e["label"]) for e in topology["edges"]}
    assert ("kafka:producer:shop", "kafka:topic:orders", "produces", "") in edges
    assert ("kafka:topic:orders", "kafka:partition:orders/1", "partition", "") in edges
    assert ("kafka:partition:orders/1", "kafka:consumer:c1", "assigned", "g") in edges
    leader = kafka.describe_topic("orders")["partitions"][1]["leader"]
    assert ("kafka:partition:orders/1", f"kafka:broker:{leader}", "replica", "leader") in edges


def test_partition_contents_show_the_newest_100_records_oldest_first_with_offsets():
    sim = Simulation()
    sim.kafka.create_topic("orders")
    producer = sim.kafka.producer()
    for i in range(150):
        producer.send("orders", value=f"v{i}", key="k", headers={"n": str(i)})
    consumer = sim.kafka.consumer(group_id="g", auto_offset_reset="earliest",
                                  enable_auto_commit=False)
    consumer.subscribe(["orders"])
    consumer.poll(max_records=40)
    consumer.commit()
    contents = sim.snapshot()["contents"]
    partition = contents["kafka:partition:orders/0"]
    assert [m["offset"] for m in partition["messages"]] == list(range(50, 150))
    assert partition["messages"][0] == {
        "id": "orders/0@50", "offset": 50, "key": "k", "body": "v50", "headers": {"n": "50"},
        "timestamp": 0, "size": 7, "committed": True}  # payload bytes: k + v50 + n + 50
    payload = sum(len(f"kv{i}n{i}") for i in range(150))
    assert partition["counters"] == {"records": 150, "bytes": payload,
                                     "log_start": 0, "log_end": 150, "high_watermark": 150,
                                     "last_stable_offset": 150}
    assert partition["groups"] == {"g": {"committed": 40, "lag": 110}}
    assert partition["leader"] == partition["replicas"][0] == partition["isr"][0]
    mine = contents[consumer.node]
    assert mine["assignment"] == ["orders/0"] and mine["position"] == {"orders/0": 40}


def test_delivered_events_carry_what_an_inspector_shows():
    sim = Simulation()
    events = []
    sim.subscribe(events.append)
    sim.kafka.create_topic("orders")
    sim.kafka.producer().send("orders", value="hello", key="k", headers={"trace": b"t1"})
    consumer = sim.kafka.consumer(group_id="g", client_id="c1", auto_offset_reset="earliest")
    consumer.subscribe(["orders"])
    consumer.poll()
    delivered = [e for e in events if e.kind == "delivered"][0]
    assert (delivered.message_id, delivered.source, delivered.target) == (
        "orders/0@0", "kafka:partition:orders/0", "kafka:consumer:c1")
    assert delivered.details == {"group": "g", "topic": "orders", "partition": 0, "offset": 0,
                                 "key": "k", "value": "hello", "headers": {"trace": "t1"},
                                 "timestamp": 0, "again": False}


def test_events_and_snapshots_are_plain_json():
    sim = Simulation(seed=4)
    events = []
    sim.subscribe(events.append)
    for step in scenario(sim):
        step()
        json.dumps(sim.snapshot())
    sim.kafka.create_topic("prices", config={"cleanup.policy": "compact"})
    producer = sim.kafka.producer(client_id="feed")
    producer.send("prices", key=b"\xff", value=b"\x00bytes", headers=[("h", b"\x01")])
    producer.send("prices", key=b"\xff", value=None)
    sim.advance(300)
    json.dumps(sim.snapshot())
    assert json.loads(json.dumps([e.to_dict() for e in events]))
