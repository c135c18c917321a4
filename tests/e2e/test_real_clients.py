"""A real client drives a room in the browser (issue 15): the controller opens "Connect your
code", copies what pika needs, and a pika program's connection appears in the diagram as its
own node, its message moving into the queue; while it is connected the room refuses to pause,
and once it leaves the node goes and the room pauses again."""

import json
import re

import pika
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.room_page import node, show_diagram, start_room


@pytest.mark.django_db(transaction=True)
def test_a_pika_client_appears_in_the_diagram_and_holds_the_room_at_real_time(
        page: Page, live_server_url, amqp_port, shots):
    url = start_room(page, live_server_url, "rabbitmq-playground")
    room_id = url.rstrip("/").rsplit("/", 1)[-1]

    panel = page.locator("[data-connect-panel]")
    panel.locator("summary").click()
    amqp = panel.locator('[data-protocol="amqp"]')
    expect(amqp).to_be_visible()
    expect(amqp.locator('[data-fact="amqp.virtual_host"]')).to_have_text(room_id)
    expect(amqp.locator('[data-fact="amqp.port"]')).to_have_text(str(amqp_port))
    pika_snippet = amqp.locator("[data-snippet]").first
    expect(pika_snippet).to_contain_text(f'"127.0.0.1", {amqp_port}, "{room_id}"')
    expect(pika_snippet).not_to_contain_text("{amqp.")
    expect(panel.locator('[data-protocol="sqs"]')).to_be_hidden()  # a RabbitMQ room
    shots(page, "connect-panel")

    facts = json.loads(page.request.get(f"{live_server_url}/rooms/{room_id}/connect.json")
                       .text())["amqp"]
    assert facts["port"] == amqp_port and facts["virtual_host"] == room_id
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        "127.0.0.1", amqp_port, room_id,
        pika.PlainCredentials(facts["username"], facts["password"])))
    try:
        channel = connection.channel()
        channel.queue_declare("hello")
        channel.basic_publish("", "hello", b"hello from my code")
        local_port = connection._impl._transport._sock.getsockname()[1]  # noqa: SLF001
        client = node(page, f"rabbitmq:client:pika 127.0.0.1:{local_port}")
        expect(client).to_be_visible()
        expect(client).to_contain_text("pika 127.0.0.1")
        expect(node(page, "rabbitmq:queue:hello")).to_contain_text("ready 1")
        log = page.locator("[data-log-list]")
        expect(log).to_contain_text("connected over AMQP 0-9-1")
        show_diagram(page)
        shots(page, "pika-client-node")

        page.locator('[data-action="toggle"]').click()  # pause: refused, with the reason
        expect(page.locator("#toasts")).to_contain_text(
            "a real client is connected: the room runs at real time (1×)")
        expect(page.locator("[data-toolbar]")).to_have_attribute("data-paused", "false")
        shots(page, "pause-refused")
    finally:
        connection.close()
    expect(client).to_have_count(0)
    page.locator('[data-action="toggle"]').click()
    expect(page.locator("[data-toolbar]")).to_have_attribute("data-paused", "true")
    expect(page.locator("[data-connection]")).to_have_attribute("data-state",
                                                                re.compile("open"))
