"""Issue 11, what each user sees first: the rooms at 1440, on a projector (1920, Large type)
and on a phone, with screenshots of each (test-screenshots/); several brokers in one room,
each in its own lane with its own headings, namesakes told apart and the simulated apps under
their own names; the inspector drawer below the toolbar at every width; and a Kafka group
waiting for a crashed member's session counting it down."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import command, node, open_group, start_room

SIZES = [(1440, 900, False), (1920, 1080, True), (390, 844, False)]
PRESETS = ["rabbitmq-work-queue", "kafka-consumer-group", "sqs-visibility-timeout"]


def large_type(page, base_url, on):
    page.goto(base_url)
    page.evaluate("on => localStorage.setItem('mqlab.large', on ? '1' : '0')", on)


def drawer_below_toolbar(page):
    """The inspector drawer never covers the toolbar, wherever the page is scrolled."""
    toolbar = page.locator("[data-toolbar]").bounding_box()
    drawer = page.locator("#inspector").bounding_box()
    assert drawer["y"] >= toolbar["y"] + toolbar["height"], (toolbar, drawer)


@pytest.mark.django_db(transaction=True)
def test_each_room_at_each_width_with_the_drawer_below_the_toolbar(page, live_server_url,
                                                                  shots):
    for width, height, large in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        large_type(page, live_server_url, large)
        for preset in PRESETS:
            start_room(page, live_server_url, preset)
            diagram = page.locator("#diagram")
            expect(diagram.locator(".node").first).to_be_visible()
            # Moving within a few seconds (every preset runs a producer from the start).
            expect(page.locator("[data-log-list] li").first).to_be_attached(timeout=8_000)
            page.wait_for_timeout(1500)
            shots(page, f"{width}-{preset}")
            if preset == "rabbitmq-work-queue":
                diagram.locator(".node.kind-queue").first.click(force=True)
                expect(page.locator("#inspector")).to_be_visible()
                if width < 1700 or large:
                    drawer_below_toolbar(page)
                page.mouse.wheel(0, 400)
                page.wait_for_timeout(300)
                if width < 1700 or large:
                    drawer_below_toolbar(page)
                shots(page, f"{width}-{preset}-inspector")


@pytest.mark.django_db(transaction=True)
def test_two_brokers_in_one_room_each_in_its_lane(page, live_server_url, shots):
    page.set_viewport_size({"width": 1920, "height": 1080})
    large_type(page, live_server_url, True)
    page.locator("[data-walkthrough='kafka-or-rabbitmq']").click()
    page.wait_for_url("**/rooms/*/")
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    diagram = page.locator("#diagram")
    # One lane per broker, under its name, with its own column titles.
    expect(diagram.locator(".lane-title")).to_have_text(["RabbitMQ", "Apache Kafka"])
    panel.locator("[data-wt-action='run']").click()
    # The log names the namesake with its broker.
    expect(page.locator("[data-log-list] .log-route", has_text="orders (Apache Kafka topic)")
           .first).to_be_attached(timeout=10_000)
    expect(node(page, "rabbitmq:consumer:billing-rabbit")).to_be_visible()
    titles = diagram.locator(".column-title").all_text_contents()
    assert titles.count("Producers") == 2 and "Exchanges" in titles and "Partitions" in titles
    # The two "orders" are told apart; the apps are drawn under their own names.
    expect(node(page, "rabbitmq:queue:orders").locator(".node-label")).to_have_text(
        "orders (queue)")
    expect(node(page, "kafka:topic:orders").locator(".node-label")).to_have_text(
        "orders (topic)")
    labels = diagram.locator(".node-label").all_text_contents()
    assert {"shop-rabbit", "shop-kafka", "billing-rabbit", "billing-kafka"} <= set(labels)
    assert not [label for label in labels if label.startswith("channel")]
    # Each lane's nodes sit inside it: no Kafka node under RabbitMQ's headings.
    lanes = diagram.locator(".lane")
    for lane, names in ((lanes.nth(0), ["orders (queue)", "shop-rabbit", "billing-rabbit"]),
                        (lanes.nth(1), ["orders (topic)", "shop-kafka", "billing-kafka"])):
        box = lane.bounding_box()
        for name in names:
            label = page.locator(".node-label", has_text=re.compile(f"^{re.escape(name)}$"))
            inner = diagram.locator(".node", has=label).bounding_box()
            assert box["y"] <= inner["y"] <= inner["y"] + inner["height"] <= box["y"] + box[
                "height"], name
    page.wait_for_timeout(1000)
    shots(page, "projector-two-lanes")


@pytest.mark.django_db(transaction=True)
def test_idle_consumers_count_down_the_crashed_members_session(page, live_server_url, shots):
    page.set_viewport_size({"width": 1440, "height": 900})
    start_room(page, live_server_url, "kafka-consumer-group")
    open_group(page, "Faults")
    command(page, "crash_consumer", consumer="billing-2")
    idle = node(page, "kafka:consumer:billing-4")
    wait = idle.locator(".kafka-session-wait")
    expect(wait).to_have_text(re.compile(r"^waiting for the session timeout \((\d+) s left\)$"))
    left = int(re.search(r"\((\d+) s left", wait.text_content()).group(1))
    assert 1 <= left <= 45
    crashed = node(page, "kafka:consumer:billing-2").locator(".kafka-session-wait")
    expect(crashed).to_contain_text("waiting for the session timeout")
    shots(page, "session-timeout-countdown")
