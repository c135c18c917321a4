"""Why, in a real browser: a learner opens a held message, reads its trace (why it was routed
where it was and why this worker got it), sees which bindings of the exchange matched it, and
asks a queue "why didn't it reach here?". Screenshots at 1440 and 390 wide."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.room_page import command, node, open_group, start_room


@pytest.mark.django_db(transaction=True)
def test_a_learner_reads_a_why_trace_and_asks_why_it_did_not_reach_a_queue(
        page: Page, live_server_url, shots):
    page.set_viewport_size({"width": 1440, "height": 900})
    start_room(page, live_server_url, "rabbitmq-playground")
    open_group(page, "Exchanges")
    command(page, "declare_exchange", name="orders", exchange_type="topic")
    open_group(page, "Queues")
    command(page, "declare_queue", name="billing")
    command(page, "declare_queue", name="audit")
    for queue, key in (("billing", "order.*"), ("billing", "*.created"),
                       ("audit", "order.*.shipped")):
        command(page, "bind", queue=queue, exchange="orders", routing_key=key)
    open_group(page, "Consumers")
    for worker in ("worker-1", "worker-2"):  # slow: they hold their message for the test
        command(page, "add_consumer", name=worker, queue="billing", prefetch=1,
                processing_time=600)
    open_group(page, "Messages")
    command(page, "publish", exchange="orders", routing_key="order.shipped", count=3)

    # worker-2 holds m2: open it and read its trace.
    node(page, "rabbitmq:consumer:worker-2").click()
    inspector = page.locator("#inspector")
    inspector.locator('.message-link[data-message-id="m2"]').click()
    steps = inspector.locator(".trace-step .trace-text")
    expect(steps).to_have_text([
        "published to exchange orders with routing key order.shipped",
        "routed by exchange orders (binding order.* matched; *.created, order.*.shipped did "
        "not) → enqueued in billing (position 2)",
        "delivered to worker-2 (prefetch 1: worker-1 was at its prefetch limit)",
    ])
    expect(steps.nth(1).locator("code").first).to_have_text("orders")
    expect(inspector.locator(".trace-bindings .binding-missed")).to_have_count(2)
    inspector.locator(".trace").scroll_into_view_if_needed()
    shots(page, "trace-of-m2")

    # The exchange lists its bindings, marked for the selected message.
    node(page, "rabbitmq:exchange:orders").click()
    routes = inspector.locator(".inspector-routes li")
    expect(routes.filter(has_text="order.*.shipped")).to_have_class(re.compile("binding-missed"))
    expect(routes.filter(has_text="*.created")).to_have_class(re.compile("binding-missed"))
    matched = routes.filter(has=page.locator("code", has_text=re.compile(r"^order\.\*$")))
    expect(matched).to_have_class(re.compile("binding-matched"))
    expect(matched).to_contain_text("✓ matches m2")
    shots(page, "exchange-bindings-for-m2")

    # Ask the queue it did not reach.
    node(page, "rabbitmq:queue:audit").click()
    ask = inspector.locator("button.why-ask")
    expect(ask).to_have_text("Why didn't m2 reach here?")
    ask.click()
    answer = inspector.locator(".why-answer")
    expect(answer.locator(".why-question")).to_have_text("Why didn't m2 reach audit?")
    expect(answer.locator(".why-text")).to_have_text(
        "no binding of orders to audit matches order.shipped; the closest binding is "
        "order.*.shipped")
    answer.scroll_into_view_if_needed()
    shots(page, "why-not-audit-1440")

    # A consumer that did not get it: worker-1 was busy.
    node(page, "rabbitmq:consumer:worker-1").click()
    inspector.locator("button.why-ask").click()
    expect(inspector.locator(".why-answer .why-text")).to_contain_text(
        "worker-1 was at its prefetch limit (1)")

    # On a phone the answer wraps inside the inspector, nothing overflows sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    inspector.locator("[data-inspector-close]").click()  # it covers the diagram on a phone
    node(page, "rabbitmq:queue:audit").scroll_into_view_if_needed()
    node(page, "rabbitmq:queue:audit").click()
    expect(inspector.locator(".why-answer .why-text")).to_contain_text("order.*.shipped")
    inspector.locator(".why-answer").scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    shots(page, "why-not-audit-390")
