"""A real Kafka client drives a room in the browser (issue 15): the controller opens "Connect
your code" on a Kafka room and finds the kafka-python snippet filled with the room's
bootstrap servers and token; a kafka-python producer then appears in the diagram as its own
node, its records in the partition; while it is connected the room refuses to pause, and once
it closes its node goes."""

import json

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from playwright.sync_api import Page, expect

from tests.e2e.room_page import node, show_diagram, start_room


@pytest.mark.django_db(transaction=True)
def test_a_kafka_python_producer_appears_in_the_diagram(page: Page, live_server_url,
                                                        kafka_port, shots):
    url = start_room(page, live_server_url, "kafka-playground")
    room_id = url.rstrip("/").rsplit("/", 1)[-1]
    panel = page.locator("[data-connect-panel]")
    panel.locator("summary").click()
    kafka = panel.locator('[data-protocol="kafka"]')
    expect(kafka).to_be_visible()
    expect(kafka.locator('[data-fact="kafka.bootstrap_servers"]')).to_have_text(
        f"127.0.0.1:{kafka_port}")
    facts = json.loads(page.request.get(f"{live_server_url}/rooms/{room_id}/connect.json")
                       .text())["kafka"]
    snippet = kafka.locator('[data-snippet-for="kafka-python"] [data-snippet]')
    expect(snippet).to_contain_text(f'sasl_plain_password="{facts["sasl_plain_password"]}"')
    expect(snippet).not_to_contain_text("{kafka.")
    expect(panel.locator('[data-protocol="amqp"]')).to_be_hidden()  # a Kafka room
    shots(page, "connect-panel-kafka")

    admin = KafkaAdminClient(**facts)
    admin.create_topics([NewTopic("hello", 2, 3)])
    admin.close()
    producer = KafkaProducer(**facts)
    try:
        producer.send("hello", key=b"user-1", value=b"hello from my code").get(timeout=20)
        client = node(page, "kafka:producer:kafka-python producer p1")
        expect(client).to_be_visible()
        show_diagram(page)
        shots(page, "kafka-python-producer-node")
        page.locator('[data-action="toggle"]').click()  # pause: refused, with the reason
        expect(page.locator("#toasts")).to_contain_text(
            "a real client is connected: the room runs at real time (1×)")
    finally:
        producer.close()
    expect(client).to_have_count(0)
