"""SQS rooms in a real browser: a message received and not deleted goes invisible with its
visibility timeout counting down, reappears when it expires, and lands in the dead-letter
queue; a duplicate FIFO send is accepted and never delivered.

Each step is saved as a screenshot (the `shots` fixture) so a person can judge the picture.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.room_page import (
    command,
    node,
    open_group,
    pause,
    resume,
    show_diagram,
    start_room,
)

JOBS = "sqs:queue:jobs"
DLQ = "sqs:queue:jobs-dlq"
YOU = "sqs:consumer:you"
ORDERS = "sqs:queue:orders.fifo"


def snap(shots, page: Page, label: str) -> None:
    """A screenshot with the diagram in view."""
    show_diagram(page)
    shots(page, label)


@pytest.mark.django_db(transaction=True)
def test_received_message_reappears_after_its_timeout_then_lands_in_the_dlq(
        page, live_server_url, shots):
    start_room(page, live_server_url, "sqs-playground")
    open_group(page, "Queues")
    command(page, "create_queue", name="jobs-dlq")
    command(page, "create_queue", name="jobs", visibility_timeout=6,
            dead_letter_queue="jobs-dlq", max_receive_count=1)
    expect(page.locator('#diagram .edge-dead-letter .edge-label')).to_have_text(
        "maxReceiveCount 1")
    command(page, "send_message", queue="jobs", body="resize photo 42")
    cell = node(page, JOBS).locator(".sqs-cell")
    expect(cell).to_have_count(1)
    expect(cell).to_have_class(re.compile(r"\bsqs-visible\b"))
    snap(shots, page, "sent-and-visible")

    # Received by hand and not deleted: still in the queue, invisible, counting down.
    command(page, "receive_message", queue="jobs")
    expect(page.locator("#status-receive_message")).to_contain_text("receive count 1")
    expect(cell).to_have_class(re.compile(r"\bsqs-in-flight\b"))
    expect(cell).to_have_attribute("data-receive-count", "1")
    expect(cell.locator(".sqs-countdown")).to_have_text(re.compile(r"^[1-6]s$"))
    expect(node(page, YOU).locator(".sqs-cell.sqs-in-flight")).to_have_count(1)
    expect(node(page, JOBS).locator(".node-counters")).to_contain_text("in flight 1")
    page.wait_for_timeout(700)  # let the token reach the receiver
    snap(shots, page, "received-invisible-with-countdown")

    # The visibility timeout expires: visible again, receive count 1, nobody holds it.
    expect(cell).to_have_class(re.compile(r"\bsqs-visible\b"), timeout=10000)
    expect(node(page, YOU).locator(".sqs-cell")).to_have_count(0)
    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="visible"]')).to_have_count(1)
    expect(log.locator('li[data-kind="visible"] .log-reason')).to_contain_text(
        "visibility timeout expired")
    snap(shots, page, "visible-again-after-timeout")

    # The next receive would be its second, past maxReceiveCount 1: SQS moves it instead.
    command(page, "receive_message", queue="jobs")
    expect(page.locator("#status-receive_message")).to_contain_text("nothing receivable now")
    expect(node(page, JOBS).locator(".sqs-cell")).to_have_count(0)
    expect(node(page, DLQ).locator(".sqs-cell")).to_have_count(1)
    banner = page.locator("#diagram .sqs-banner-dlq")
    expect(banner).to_have_text("receive 2 > maxReceiveCount 1")
    page.wait_for_timeout(500)
    snap(shots, page, "moved-to-the-dlq-with-its-reason")
    moved = log.locator('li[data-kind="dead-lettered"]')
    expect(moved).to_have_count(1)
    expect(moved.locator(".log-reason")).to_contain_text("moved to dead-letter queue jobs-dlq")

    # The inspector tells the whole story of the message.
    node(page, DLQ).locator(".sqs-cell").click()
    history = page.locator("#inspector .message-detail .history")
    expect(history.locator("li")).to_have_count(4)  # sent, received, visible, moved
    expect(history.locator("li.kind-received")).to_have_count(1)
    expect(history.locator("li.kind-dead-lettered")).to_have_count(1)
    snap(shots, page, "message-history-in-the-inspector")


@pytest.mark.django_db(transaction=True)
def test_duplicate_fifo_send_is_accepted_and_never_delivered(page, live_server_url, shots):
    start_room(page, live_server_url, "sqs-fifo-groups")
    pause(page)
    # alice and bob each have a message in flight, so their groups are locked.
    queue = node(page, ORDERS)
    expect(queue.locator(".sqs-locked-line")).to_have_attribute("data-locked-groups",
                                                                "alice,bob")
    expect(queue.locator(".sqs-cell.sqs-locked")).to_have_count(3)  # alice 2, bob 1
    expect(queue.locator(".sqs-cell.sqs-in-flight")).to_have_count(2)
    snap(shots, page, "groups-locked-while-in-flight")
    page.get_by_role("button", name="Large type").click()
    expect(queue.locator(".sqs-countdown").first).to_have_text("20s")
    snap(shots, page, "groups-locked-on-a-projector")
    page.get_by_role("button", name="Large type").click()

    command(page, "send_message", queue="orders.fifo", body="carol order", group_id="carol")
    expect(page.locator("#status-send_message")).not_to_contain_text("duplicate")
    command(page, "send_message", queue="orders.fifo", body="carol order", group_id="carol")
    expect(page.locator("#status-send_message")).to_contain_text(
        "1 accepted as duplicate(s) within the 5-minute deduplication window")
    log = page.locator("[data-log-list]")
    expect(log.locator('li[data-kind="duplicate-ignored"]')).to_have_count(1)
    expect(page.locator("#diagram .sqs-banner-duplicate")).to_contain_text(
        "accepted, never delivered")
    expect(log.locator('li[data-kind="sent"]')).to_have_count(1)  # the preset's came before
    expect(queue.locator(".sqs-cell")).to_have_count(6)
    page.wait_for_timeout(600)
    snap(shots, page, "duplicate-accepted-not-queued")

    # Everything runs out: six messages deleted, each received once (two of them before this
    # page joined), and the duplicate never.
    page.locator("[data-speed-select]").select_option("8")
    resume(page)
    expect(queue.locator(".sqs-cell")).to_have_count(0, timeout=15000)
    expect(log.locator('li[data-kind="deleted"]')).to_have_count(6)
    expect(log.locator('li[data-kind="received"]')).to_have_count(4)
    snap(shots, page, "all-processed-once")


@pytest.mark.django_db(transaction=True)
def test_deleting_a_message_in_flight_from_the_inspector(page, live_server_url, shots):
    start_room(page, live_server_url, "sqs-playground")
    open_group(page, "Queues")
    command(page, "create_queue", name="jobs", visibility_timeout=300)
    command(page, "send_message", queue="jobs", body="charge card 7")
    command(page, "receive_message", queue="jobs")
    node(page, JOBS).click()
    inspector = page.locator("#inspector")
    item = inspector.locator(".inspector-message")
    expect(item.locator(".message-body")).to_have_text("charge card 7")
    expect(item.locator("button.action-delete_message")).to_have_text("Delete")
    snap(shots, page, "inspector-offers-delete-on-a-message-in-flight")

    item.locator("button.action-delete_message").click()
    expect(page.locator('[data-log-list] li[data-kind="deleted"]')).to_have_count(1)
    expect(node(page, JOBS).locator(".sqs-cell")).to_have_count(0)
    expect(item).to_have_count(0)
    snap(shots, page, "deleted-with-its-receipt-handle")


@pytest.mark.django_db(transaction=True)
def test_slow_workers_see_the_message_again_before_they_delete_it(page, live_server_url,
                                                                   shots):
    start_room(page, live_server_url, "sqs-visibility-timeout")
    # 2x, not faster: the pause below must land in the 5 virtual seconds (2.5 s here) between
    # worker-2's receive (t=10) and worker-1's stale delete (t=15), even on a busy machine.
    page.locator("[data-speed-select]").select_option("2")
    queue = node(page, "sqs:queue:reports")
    expect(queue.locator(".sqs-cell.sqs-in-flight")).to_have_count(1)
    snap(shots, page, "first-worker-has-it")
    # 10 s later (5 s at 2x) it is visible again and the other worker receives it.
    worker_2 = node(page, "sqs:consumer:worker-2")
    expect(worker_2.locator('.sqs-cell[data-receive-count="2"]')).to_have_count(1,
                                                                               timeout=12000)
    pause(page)
    expect(queue.locator('.sqs-cell[data-receive-count="2"]')).to_have_count(1)
    # worker-1 still works on it, with a receipt handle that is no longer the latest.
    work = node(page, "sqs:consumer:worker-1").locator(".sqs-work")
    expect(work).to_have_attribute("data-stale", "1")
    expect(work.locator("text")).to_have_text('⚙ "report 1" · stale handle')
    page.wait_for_timeout(300)
    snap(shots, page, "second-worker-receives-it-again")
    resume(page)
    expect(page.locator('[data-log-list] li[data-kind="duplicate-side-effect"]')).to_have_count(
        1, timeout=12000)
    # worker-1's delete with its outdated handle was accepted and deleted nothing: the log says
    ignored = page.locator('[data-log-list] li[data-kind="delete-ignored"]').first
    expect(ignored.locator(".log-reason")).to_contain_text(
        "is outdated (the message was received again")
    snap(shots, page, "processed-twice")


@pytest.mark.django_db(transaction=True)
def test_poison_order_dead_letters_and_a_redrive_brings_it_back(page, live_server_url, shots):
    start_room(page, live_server_url, "sqs-dlq-redrive")
    page.locator("[data-speed-select]").select_option("8")
    dlq = node(page, "sqs:queue:orders-dlq")
    expect(dlq.locator('.sqs-cell[data-receive-count="3"]')).to_have_count(1, timeout=10000)
    expect(page.locator("#diagram .sqs-banner-dlq")).to_have_text(
        "receive 4 > maxReceiveCount 3")
    # The cell's ×3 and the log agree: received three times, the fourth receive moved it.
    expect(page.locator('[data-log-list] li[data-kind="dead-lettered"] .log-reason').first
           ).to_contain_text("(received 3 times)")
    expect(dlq.locator(".sqs-receives")).to_have_text("×3")
    snap(shots, page, "poison-order-in-the-dlq")

    open_group(page, "Consumers")
    command(page, "remove_consumer", consumer="worker")
    open_group(page, "Queues")
    command(page, "start_redrive", dead_letter_queue="orders-dlq")
    orders = node(page, "sqs:queue:orders")
    expect(orders.locator(".sqs-cell")).to_have_count(1)
    expect(dlq.locator(".sqs-cell")).to_have_count(0)
    # The stopped worker's last long poll got it and released it at once: visible, waiting.
    expect(orders.locator(".sqs-cell")).to_have_class(re.compile(r"\bsqs-visible\b"))
    redriven = page.locator('[data-log-list] li[data-kind="redriven"]')
    expect(redriven.locator(".log-reason")).to_contain_text("as new message")
    page.wait_for_timeout(400)
    snap(shots, page, "redriven-back-as-a-new-message")


@pytest.mark.django_db(transaction=True)
def test_short_polling_makes_empty_receives_that_long_polling_avoids(page, live_server_url,
                                                                     shots):
    start_room(page, live_server_url, "sqs-long-polling")
    page.locator("[data-speed-select]").select_option("4")
    # Both receive the first message (sent at t=5 s): the long poll at once, the short poll
    # at its next try, after empty answers every second (t=1..4 since this page joined);
    # the long poll has had none.
    received = page.locator('[data-log-list] li[data-kind="received"]')
    expect(received).to_have_count(2, timeout=8000)
    pause(page)
    empty = page.locator('[data-log-list] li[data-kind="empty-receive"]')
    assert empty.filter(has_text="short-poller").count() >= 4
    assert empty.filter(has_text="long-poller").count() == 0
    expect(node(page, "sqs:consumer:long-poller").locator(".node-counters")).to_contain_text(
        "receives 1 · empty 0")
    page.wait_for_timeout(300)
    snap(shots, page, "short-poller-asks-every-second")
