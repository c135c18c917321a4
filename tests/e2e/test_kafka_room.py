"""Kafka rooms in a real browser: keyed records land on the partition murmur2 of their key
picks, a consumer joining its group makes partitions move between consumers, and killing a
leader's broker elects a new leader from the in-sync replicas.

Each step is saved as a screenshot (the `shots` fixture) so a person can judge the picture.
"""

import re

import pytest
from playwright.sync_api import expect

from engine.kafka import assign, partition_for_key
from tests.e2e.room_page import command, node, open_group, pause, show_diagram, start_room

PARTITION = "kafka:partition:"
CONSUMER = "kafka:consumer:"


@pytest.mark.django_db(transaction=True)
def test_keyed_records_land_on_the_partition_of_their_key(page, live_server_url, shots):
    start_room(page, live_server_url, "kafka-playground")
    open_group(page, "Topics")
    command(page, "create_topic", name="orders", partitions=4)
    for index in range(4):
        expect(node(page, f"{PARTITION}orders/{index}")).to_be_visible()
    keys = ["alice", "bob", "carol", "dave", "erin", "frank"]
    for key in keys:
        command(page, "produce", topic="orders", key=key, value=f"{key}'s order")
    for key in keys:
        home = partition_for_key(key.encode(), 4)
        for index in range(4):
            cells = node(page, f"{PARTITION}orders/{index}").locator(f'[data-key="{key}"]')
            expect(cells).to_have_count(1 if index == home else 0)
    expect(page.locator("#status-produce")).to_contain_text(
        f"by murmur2(key) % partitions: P{partition_for_key(b'frank', 4)}@")
    show_diagram(page)
    page.wait_for_timeout(600)
    shots(page, "each-key-on-its-partition")

    # The same key again goes to the same partition, at the next offset: ordered per key.
    command(page, "produce", topic="orders", key="alice", value="alice again {n}", count=2)
    home = node(page, f"{PARTITION}orders/{partition_for_key(b'alice', 4)}")
    expect(home.locator('[data-key="alice"]')).to_have_count(3)
    offsets = home.locator('[data-key="alice"]').evaluate_all(
        "cells => cells.map((c) => Number(c.dataset.offset))")
    assert offsets == sorted(offsets) and len(set(offsets)) == 3
    show_diagram(page)
    shots(page, "same-key-same-partition-in-order")


@pytest.mark.django_db(transaction=True)
def test_a_consumer_joining_its_group_makes_partitions_move(page, live_server_url, shots):
    start_room(page, live_server_url, "kafka-keyed-ordering")
    first, second = node(page, CONSUMER + "projector-1"), node(page, CONSUMER + "projector-2")
    expect(first).to_have_attribute("data-assignment", "customer-events/0,customer-events/1")
    expect(second).to_have_attribute("data-assignment", "customer-events/2,customer-events/3")
    expect(first.locator(".kafka-chip")).to_have_count(2)
    expect(node(page, "kafka:producer:crm")).to_be_visible()  # the picture has settled
    show_diagram(page)
    shots(page, "two-consumers-two-partitions-each")

    open_group(page, "Consumers")
    command(page, "add_consumer", name="projector-3", group="projections",
            topic="customer-events")
    # Partitions fly back to the group and out to their new owners.
    show_diagram(page)
    expect(page.locator("#diagram .kafka-flight").first).to_be_attached()
    expect(page.locator("#diagram .kafka-banner-rebalance")).to_contain_text(
        "rebalanced: generation 3")
    page.wait_for_timeout(400)
    shots(page, "rebalance-partitions-moving")

    members = {f"projector-{n}": ["customer-events"] for n in (1, 2, 3)}
    expected = assign("range", members, {"customer-events": 4})
    for member, owned in expected.items():
        expect(node(page, CONSUMER + member)).to_have_attribute(
            "data-assignment", ",".join(f"{t}/{p}" for t, p in owned))
    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="rebalance-completed"]').first).to_contain_text(
        "projector-3=")
    page.wait_for_timeout(2500)
    show_diagram(page)
    shots(page, "three-consumers-after-the-rebalance")


@pytest.mark.django_db(transaction=True)
def test_killing_the_leaders_broker_elects_a_new_leader(page, live_server_url, shots):
    start_room(page, live_server_url, "kafka-broker-failure")
    p0 = node(page, PARTITION + "events/0")
    leader_box = p0.locator('.kafka-replica[data-role="leader"]')
    expect(leader_box).to_have_count(1)
    old = leader_box.get_attribute("data-broker")
    expect(p0.locator(".kafka-replica.kafka-in-sync")).to_have_count(2)
    expect(p0.locator(".kafka-record")).not_to_have_count(0, timeout=8000)
    expect(p0.locator(".kafka-commit-text")).to_contain_text("lag", timeout=8000)
    show_diagram(page)
    shots(page, "three-brokers-in-sync")

    open_group(page, "Faults")
    command(page, "kill_broker", broker=old)
    expect(page.locator("#status-kill_broker")).to_contain_text("new leaders: events/0 -> broker")
    expect(leader_box).not_to_have_attribute("data-broker", old)
    new = leader_box.get_attribute("data-broker")
    expect(p0.locator(f'.kafka-replica[data-broker="{old}"]')).to_have_class(
        re.compile(r"\bkafka-dead\b"))
    expect(node(page, f"kafka:broker:{old}")).to_have_attribute("data-alive", "false")
    banner = page.locator(f'#diagram [data-banner-for="{PARTITION}events/0"]')
    expect(banner).to_contain_text(f"leader → broker {new} · ISR ")
    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="leader-elected"]').first).to_be_attached()
    show_diagram(page)
    shots(page, "broker-down-new-leader")

    # Records still flow (two in-sync replicas meet min.insync.replicas=2).
    counters = p0.locator(".node-counters")
    expect(counters).not_to_have_text(counters.text_content(), timeout=8000)

    command(page, "restore_broker", broker=old)
    expect(p0.locator(f'.kafka-replica[data-broker="{old}"]')).to_have_class(
        re.compile(r"\bkafka-in-sync\b"))
    expect(node(page, f"kafka:broker:{old}")).to_have_attribute("data-alive", "true")
    expect(log.locator('li[data-kind="isr-expanded"]').first).to_be_attached()
    show_diagram(page)
    shots(page, "broker-back-in-sync")


@pytest.mark.django_db(transaction=True)
def test_a_crashed_consumers_partition_moves_after_the_session_timeout(
        page, live_server_url, shots):
    start_room(page, live_server_url, "kafka-consumer-group")
    idle = node(page, CONSUMER + "billing-4")
    expect(idle).to_have_attribute("data-assignment", "")
    expect(idle.locator(".kafka-idle-text")).to_have_text("idle: no partition")
    owned = node(page, CONSUMER + "billing-1").get_attribute("data-assignment")
    assert owned == "orders/0"
    page.locator("[data-speed-select]").select_option("8")

    open_group(page, "Faults")
    command(page, "crash_consumer", consumer="billing-1")
    crashed = node(page, CONSUMER + "billing-1")
    expect(crashed).to_have_class(re.compile(r"\bkafka-crashed\b"))
    expect(crashed).to_contain_text("crashed: no heartbeats")
    expect(idle).to_have_attribute("data-assignment", "")  # the group has not noticed yet
    show_diagram(page)
    shots(page, "crashed-partition-waits")

    # 45 s of virtual time later (about 6 s at 8x) the coordinator drops it and rebalances:
    # range hands the three partitions to the three members left, the idle one included.
    expect(crashed).to_have_count(0, timeout=15000)
    # Hold the clock: at 8x on a busy machine, later events would push the "left" line out
    # of the log's window before it is read.
    pause(page)
    members = {f"billing-{n}": ["orders"] for n in (2, 3, 4)}
    for member, owned in assign("range", members, {"orders": 3}).items():
        expect(node(page, CONSUMER + member)).to_have_attribute(
            "data-assignment", ",".join(f"{t}/{p}" for t, p in owned))
    expect(idle).not_to_have_attribute("data-assignment", "")
    # The log holds the newest 300 lines and shows the newest rows: filter to find the one.
    page.locator("[data-log-kind]").select_option("left")
    left = page.locator('[data-log-list] li[data-kind="left"]').first
    expect(left).to_contain_text("session.timeout.ms=45000")
    show_diagram(page)
    shots(page, "idle-consumer-took-over")
