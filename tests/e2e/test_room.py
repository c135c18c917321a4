"""The playground in a real browser: start a preset, drive it, and watch what moves.

Each test saves a screenshot of every step (the `shots` fixture) so a person can judge how the
page looks, not only whether it works.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.room_page import (
    node,
    open_group,
    pause,
    quiet_work_queue,
    start_room,
    stop_preset_producer,
)

TASKS = "rabbitmq:queue:tasks"
WORKERS = [f"rabbitmq:consumer:worker-{n}" for n in (1, 2, 3)]


def more_fields(form) -> None:
    more = form.locator("details[data-more]")
    if more.get_attribute("open") is None:
        more.locator("summary").click()


def publish(page: Page, body: str, count: int = 1) -> None:
    form = page.locator('form[data-command="publish"]')
    form.locator('[name="routing_key"]').fill("tasks")
    form.locator('[name="body"]').fill(body)
    if count != 1:
        more_fields(form)
        form.locator('[name="count"]').fill(str(count))
    form.locator('button[type="submit"]').click()
    expect(page.locator("#status-publish")).to_have_class(re.compile(r"\bok\b"))


def holder_of_one_message(page: Page) -> str:
    """The one worker whose node says it holds an unacked message."""
    holders = page.locator("#diagram .node.kind-consumer").filter(has_text="unacked 1")
    expect(holders).to_have_count(1)
    return holders.get_attribute("data-node-id")


@pytest.mark.django_db(transaction=True)
def test_publish_moves_a_token_and_changes_the_queue_depth(page, live_server_url, shots):
    start_room(page, live_server_url, "rabbitmq-work-queue")
    expect(node(page, TASKS)).to_be_visible()
    for worker in WORKERS:
        expect(node(page, worker)).to_be_visible()
    shots(page, "work-queue-started")

    # Paused, time stands still: deliveries still happen at once, processing does not finish.
    quiet_work_queue(page)
    pause(page)
    publish(page, "resize image {n}", count=5)
    expect(page.locator(".diagram-panel .token").first).to_be_attached()
    shots(page, "tokens-in-flight")

    # Three workers with prefetch 1 take one each; two wait in the queue.
    expect(node(page, TASKS).locator(".node-counters")).to_contain_text("ready 2")
    for worker in WORKERS:
        expect(node(page, worker).locator(".node-counters")).to_contain_text("unacked 1")
    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="delivered"]')).to_have_count(3)
    shots(page, "two-waiting-three-in-hand")

    # The log filters by kind and by node: worker-2 saw exactly one delivery.
    page.locator("[data-log-kind]").select_option("delivered")
    expect(log.locator("li:visible")).to_have_count(3)
    page.locator("[data-log-node]").select_option(WORKERS[1])
    expect(log.locator("li:visible")).to_have_count(1)
    expect(log.locator("li:visible .log-route")).to_have_text("tasks → worker-2")
    page.locator("[data-log-kind]").select_option("")
    page.locator("[data-log-node]").select_option("")

    # A waiting message's cell opens its history in the inspector.
    node(page, TASKS).locator(".slot").first.click()
    detail = page.locator("#inspector .message-detail")
    expect(detail.locator(".where")).to_contain_text("tasks")
    expect(detail.locator(".history li.kind-enqueued")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("#inspector")).to_be_hidden()

    # Play: the fastest worker finishes, acks, and the queue drains.
    page.locator('[data-action="toggle"]').click()
    expect(node(page, TASKS).locator(".node-counters")).to_contain_text("ready 1", timeout=10000)
    expect(log.locator('li[data-kind="acked"]').first).to_be_attached()
    shots(page, "queue-draining")


@pytest.mark.django_db(transaction=True)
def test_crashed_consumer_message_comes_back_redelivered_to_another(page, live_server_url, shots):
    start_room(page, live_server_url, "rabbitmq-work-queue")
    quiet_work_queue(page)
    pause(page)
    publish(page, "the only task")
    expect(page.locator('[data-log-list] li[data-kind="delivered"]')).to_have_count(1)
    crashed = holder_of_one_message(page)
    shots(page, "delivered-to-one-worker")

    open_group(page, "Faults")
    crash = page.locator('form[data-command="crash_consumer"]')
    crash.locator('[name="consumer"]').fill(crashed.rsplit(":", 1)[1])
    crash.locator('button[type="submit"]').click()
    expect(page.locator("#status-crash_consumer")).to_have_class(re.compile(r"\bok\b"))

    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="requeued"]')).to_have_count(1)
    expect(log.locator('li[data-kind="delivered"]')).to_have_count(2)
    # Its placeholder stays, faded, while the requeue leaves it; then it is gone.
    expect(node(page, crashed)).to_have_class(re.compile(r"\bnode-down\b"))
    expect(node(page, crashed)).to_contain_text("gone: unacked messages go back")
    shots(page, "crashed-consumer-placeholder")
    expect(node(page, crashed)).to_have_count(0, timeout=15_000)
    survivor = holder_of_one_message(page)
    assert survivor != crashed
    shots(page, "redelivered-after-crash")

    node(page, survivor).click()
    inspector = page.locator("#inspector")
    expect(inspector).to_be_visible()
    expect(inspector.locator(".inspector-message .badge-R")).to_have_text("redelivered")
    expect(inspector.locator(".message-body")).to_have_text("the only task")
    shots(page, "inspector-shows-redelivered")

    inspector.locator(".message-link").first.click()
    history = inspector.locator(".message-detail .history")
    expect(history.locator("li.kind-requeued")).to_have_count(1)
    expect(history.locator("li.kind-delivered")).to_have_count(2)
    shots(page, "message-history")


@pytest.mark.django_db(transaction=True)
def test_a_second_browser_watches_the_same_events(browser, page, live_server_url, shots):
    room_url = start_room(page, live_server_url, "rabbitmq-work-queue")
    watcher = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    watcher.goto(room_url)
    expect(watcher.locator("[data-connection]")).to_have_attribute("data-state", "open")
    expect(watcher.locator("[data-role]")).to_have_text("You are watching")
    expect(watcher.locator('form[data-command="publish"] button[type="submit"]')).to_be_disabled()
    expect(watcher.locator('[data-action="toggle"]')).to_be_disabled()
    # A watcher's shortcut reaches the server, which refuses it: the page says so.
    watcher.keyboard.press("Space")
    expect(watcher.locator("#toasts .toast")).to_be_visible()

    quiet_work_queue(page)
    pause(page)
    publish(page, "seen by everyone")
    message_id = re.search(r"published (m\d+)",
                           page.locator("#status-publish").inner_text()).group(1)
    watched = watcher.locator('[data-log-list] li[data-kind="published"]')
    expect(watched.first.locator(".log-message")).to_have_text(message_id)
    expect(watcher.locator('[data-log-list] li[data-kind="delivered"]').first
           .locator(".log-message")).to_have_text(message_id)
    expect(watcher.locator("[data-toolbar]")).to_have_attribute("data-paused", "true")
    shots(page, "controller")
    shots(watcher, "watcher")

    # Free play hands the controls to everyone in the room.
    page.locator("[data-free-play]").check()
    expect(watcher.locator("[data-role]")).to_have_text("Free play: you can drive")
    expect(watcher.locator('form[data-command="publish"] button[type="submit"]')).to_be_enabled()
    shots(watcher, "watcher-in-free-play")
    watcher.context.close()


@pytest.mark.django_db(transaction=True)
def test_bad_input_shows_an_error_next_to_the_control(page, live_server_url, shots):
    start_room(page, live_server_url, "rabbitmq-work-queue")
    form = page.locator('form[data-command="publish"]')
    more_fields(form)
    form.locator('[name="count"]').fill("0")
    form.locator('button[type="submit"]').click()
    status = page.locator("#status-publish")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    expect(status).to_contain_text("count")
    expect(status).to_contain_text("at least 1")
    expect(form.locator('[name="count"]')).to_have_attribute("aria-invalid", "true")
    shots(page, "error-next-to-publish")

    form.locator('[name="count"]').fill("1")
    form.locator('[name="headers"]').fill('{"tenant": ')
    form.locator('button[type="submit"]').click()
    expect(status).to_contain_text("not valid JSON")
    expect(form.locator('[name="headers"]')).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[name="count"]')).not_to_have_attribute("aria-invalid", "true")
    shots(page, "json-error-next-to-headers")


@pytest.mark.django_db(transaction=True)
def test_rejecting_by_hand_in_the_inspector_dead_letters_the_message(page, live_server_url,
                                                                      shots):
    start_room(page, live_server_url, "rabbitmq-dead-letter")
    pause(page)
    stop_preset_producer(page, "checkout")
    page.wait_for_timeout(300)
    open_group(page, "Consumers")
    settings = page.locator('form[data-command="consumer_settings"]')
    settings.locator('[name="consumer"]').fill("order-worker")
    settings.locator('[name="ack_mode"]').select_option("manual")
    settings.locator('button[type="submit"]').click()
    expect(page.locator("#status-consumer_settings")).to_have_class(re.compile(r"\bok\b"))

    form = page.locator('form[data-command="publish"]')
    form.locator('[name="routing_key"]').fill("orders")
    form.locator('[name="body"]').fill("order 66: malformed")
    form.locator('button[type="submit"]').click()
    worker = node(page, "rabbitmq:consumer:order-worker")
    expect(worker.locator(".node-counters")).to_contain_text("unacked 1")

    worker.click()
    inspector = page.locator("#inspector")
    held = inspector.locator(".inspector-message")
    expect(held.locator(".message-body")).to_have_text("order 66: malformed")
    shots(page, "held-by-a-manual-consumer")
    held.locator('button[data-command="reject"]').click()
    answer = inspector.locator("[data-inspector-status]")
    expect(answer).to_have_class(re.compile(r"\bok\b"))
    expect(answer).to_contain_text("rejected")

    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="dead-lettered"]')).to_have_count(1)
    parked = node(page, "rabbitmq:queue:dead-letters")
    expect(parked.locator(".node-counters")).to_contain_text("ready 1")
    parked.click()
    expect(inspector.locator(".message-body")).to_have_text("order 66: malformed")
    expect(inspector.locator(".badge-DL")).to_be_visible()
    expect(inspector.locator(".kv dt", has_text="x_death")).to_be_visible()
    # shown once: not again inside the properties' headers
    expect(inspector.locator(".kv dt", has_text="x-death")).to_have_count(0)
    inspector.scroll_into_view_if_needed()
    shots(page, "parked-with-x-death")


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_a_thousand_messages_caps_tokens_and_log_lines(page, live_server_url, shots):
    start_room(page, live_server_url, "rabbitmq-work-queue")
    quiet_work_queue(page)
    pause(page)
    publish(page, "burst {n}", count=1000)
    expect(node(page, TASKS).locator(".node-counters")).to_contain_text("ready 997", timeout=15_000)
    # Movements beyond the cap are counted on their target, not drawn.
    expect(page.locator(".diagram-panel .tokens")).to_have_attribute(
        "data-skipped", re.compile(r"^\d+$"), timeout=15000)
    shots(page, "burst-with-overflow-counts")
    tokens = page.locator(".diagram-panel .tokens .token")
    for _ in range(5):
        assert tokens.count() <= 200
        page.wait_for_timeout(100)
    assert page.locator("[data-log-list] > li").count() <= 300
    expect(page.locator("[data-log-list] .log-note").first).to_contain_text("not listed")
    # Still responsive: the toolbar answers at once.
    page.locator('[data-action="toggle"]').click()
    expect(page.locator("[data-toolbar]")).to_have_attribute("data-paused", "false")


@pytest.mark.django_db(transaction=True)
def test_reduced_motion_flashes_nodes_instead_of_moving_tokens(page, live_server_url, shots):
    page.emulate_media(reduced_motion="reduce")
    start_room(page, live_server_url, "rabbitmq-work-queue")
    quiet_work_queue(page)
    pause(page)
    publish(page, "calm")
    expect(page.locator("#diagram .node.flash").first).to_be_attached()
    shots(page, "reduced-motion-flash")
    assert page.locator(".diagram-panel .tokens").get_attribute("data-started") is None
    expect(page.locator('[data-log-list] li[data-kind="delivered"]')).to_have_count(1)


@pytest.mark.django_db(transaction=True)
def test_projector_mode_enlarges_type_and_keeps_it(page, live_server_url, shots):
    start_room(page, live_server_url, "rabbitmq-topic")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.locator('[data-display-toggle="large"]').click()
    page.locator('[data-display-toggle="contrast"]').click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b.*\bcontrast\b"))
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b.*\bcontrast\b"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
    page.locator("#diagram").scroll_into_view_if_needed()
    shots(page, "projector-topic-routing")
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    shots(page, "keyboard-help")


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_reconnects_and_catches_up(page, live_server_url, shots):
    # Every socket the page opens goes through this route, so the test can cut one.
    sockets = []

    def relay(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/ws/rooms/"), relay)
    room_url = start_room(page, live_server_url, "rabbitmq-work-queue")
    pause(page)
    sockets[-1].close()
    expect(page.locator("[data-connection]")).to_have_text(re.compile("Reconnecting"))
    shots(page, "connection-lost")
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
    assert len(sockets) == 2
    expect(page.locator("[data-log-list] .log-note")).to_contain_text("Fresh snapshot")
    publish(page, "after the outage")
    expect(page.locator('[data-log-list] li[data-kind="delivered"]')).to_have_count(1)
    shots(page, "live-again")
    assert page.url == room_url


@pytest.mark.django_db(transaction=True)
def test_reset_and_keyboard_shortcuts_drive_the_clock(page, live_server_url, shots):
    start_room(page, live_server_url, "rabbitmq-work-queue")
    toolbar = page.locator("[data-toolbar]")
    # Nodes are reachable by keyboard: Enter on a focused node inspects it.
    node(page, TASKS).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inspector [data-inspector-title]")).to_have_text("queue tasks")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    expect(toolbar).to_have_attribute("data-paused", "true")
    page.keyboard.press("+")
    expect(toolbar).to_have_attribute("data-speed", "2")
    page.keyboard.press("-")
    page.keyboard.press("-")
    expect(toolbar).to_have_attribute("data-speed", "0.5")
    expect(page.get_by_label("Speed")).to_have_value("0.5")

    page.keyboard.press("Escape")  # the inspector's drawer closes, the forms are in view
    stop_preset_producer(page, "task-api")
    publish(page, "before the reset", count=5)
    # Three workers take one each, unless the preset's producer kept one busy already.
    expect(node(page, TASKS).locator(".node-counters")).to_contain_text(
        re.compile(r"ready [2-5]\b"))
    page.locator('[data-action="reset"]').click()
    expect(node(page, TASKS).locator(".node-counters")).to_contain_text("ready 0")
    # Reset clears the log (issue 11): it starts again with one note.
    expect(page.locator("[data-log-list] .log-note")).to_contain_text("started again")
    shots(page, "after-reset")


@pytest.mark.django_db(transaction=True)
def test_building_a_topology_redraws_the_diagram_and_offers_the_new_names(page, live_server_url,
                                                                          shots):
    start_room(page, live_server_url, "rabbitmq-playground")
    expect(page.locator("#diagram .empty-note").first).to_have_text("Nothing declared yet.")
    shots(page, "empty-playground")

    open_group(page, "Queues")
    declare = page.locator('form[data-command="declare_queue"]')
    declare.locator('[name="name"]').fill("jobs")
    declare.locator('button[type="submit"]').click()
    expect(node(page, "rabbitmq:queue:jobs")).to_be_visible()
    # The forms now offer the new queue by name (the controls were re-fetched).
    expect(page.locator('#f-add_consumer-queue-names option[value="jobs"]')).to_be_attached()

    open_group(page, "Consumers")
    add = page.locator('form[data-command="add_consumer"]')
    add.locator('[name="name"]').fill("w1")
    add.locator('[name="queue"]').fill("jobs")
    add.locator('button[type="submit"]').click()
    expect(node(page, "rabbitmq:consumer:w1")).to_be_visible()
    expect(page.locator('#diagram .edge[data-source="rabbitmq:queue:jobs"]'
                        '[data-target="rabbitmq:consumer:w1"]')).to_be_attached()
    expect(page.locator("#status-declare_queue")).to_contain_text("declared queue 'jobs'")
    page.locator("#diagram").scroll_into_view_if_needed()
    shots(page, "queue-and-consumer-declared")
