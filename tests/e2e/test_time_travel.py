"""Issue 12, time travel in a real browser: the controller crashes a worker, drags the
timeline back to before the crash (the worker is there again), forks with a new command,
switches back to the old branch, goes to its end (the worker crashed there) and undoes the
crash; a watcher looks back on their own and returns to live while the room goes on.
Screenshots at 1440, at 1920 with Large type (a projector) and on a 390x844 phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import command, node, open_group, pause, start_room

WORKER = "rabbitmq:consumer:worker-1"


def drag_to(page, fraction):
    """Drag the scrubber's thumb to ``fraction`` of its travel, as a hand does (the thumb's
    centre travels from 8 px inside one end of the track to 8 px inside the other)."""
    scrubber = page.locator("[data-timeline-scrubber]")
    scrubber.scroll_into_view_if_needed()
    box = scrubber.bounding_box()
    y = box["y"] + box["height"] / 2
    thumb = float(scrubber.input_value()) / float(scrubber.get_attribute("max"))

    def x(at):
        return box["x"] + 8 + (box["width"] - 16) * at

    page.mouse.move(x(thumb), y)
    page.mouse.down()
    page.mouse.move(x((thumb + fraction) / 2), y, steps=4)
    page.mouse.move(x(fraction), y, steps=4)
    page.mouse.up()


def clock_seconds(page):
    return float(re.search(r"t = ([\d.]+)", page.locator("[data-timeline-at]").inner_text())[1])


@pytest.mark.django_db(transaction=True)
def test_seek_back_fork_switch_branches_undo_and_a_watcher_looks_back(page, live_server_url,
                                                                      shots, browser):
    page.set_viewport_size({"width": 1440, "height": 900})
    url = start_room(page, live_server_url, "rabbitmq-work-queue")
    timeline = page.locator("[data-timeline]")
    expect(timeline.locator("[data-timeline-branch]")).to_have_value("main")
    # A few seconds at 4x, then 1x: the room keeps well within its CPU share, which a
    # seek is charged to like any other work.
    page.locator("[data-speed-select]").select_option("4")
    expect(page.locator("[data-clock]")).to_have_text(re.compile(r"t = ([6-9]|\d\d)"),
                                                      timeout=10_000)
    page.locator("[data-speed-select]").select_option("1")
    open_group(page, "Faults")
    command(page, "crash_consumer", consumer="worker-1")
    expect(node(page, WORKER)).to_have_count(0)
    marker = timeline.locator(".timeline-marker").first
    expect(marker).to_have_attribute("title", re.compile("Crash consumer: worker-1 at t = "))
    crashed_at = float(marker.get_attribute("data-at"))
    expect(page.locator("[data-clock]")).not_to_have_text(f"t = {crashed_at:.1f} s",
                                                          timeout=5_000)
    pause(page)
    shots(page, "after-the-crash")

    # Drag back to a fifth of the history: before the crash, the worker is there again.
    drag_to(page, 0.2)
    expect(node(page, WORKER)).to_have_count(1)
    expect(page.locator("[data-toolbar]")).to_have_attribute("data-paused", "true")
    seeked = clock_seconds(page)
    assert 0 < seeked < crashed_at
    expect(page.locator("[data-clock]")).to_have_text(f"t = {seeked:.1f} s")
    shots(page, "seeked-back")

    # A command here forks: the old future is kept as "main".
    open_group(page, "Messages")
    command(page, "publish", routing_key="tasks", body="the fix")
    branch = timeline.locator("[data-timeline-branch]")
    expect(branch).to_have_value("branch 2")
    expect(branch.locator("option")).to_have_text(["main", re.compile(r"branch 2 \(from t = ")])

    # Back to main, and to its end: the worker crashed there.
    branch.select_option("main")
    expect(branch).to_have_value("main")
    timeline.locator("[data-timeline-live]").click()
    expect(node(page, WORKER)).to_have_count(0)
    shots(page, "main-at-its-end")

    # Undo the crash: just before it, the worker is back; the crash stays on its branch.
    timeline.locator("[data-timeline-undo]").click()
    expect(node(page, WORKER)).to_have_count(1)
    expect(branch.locator("option")).to_have_count(3)
    expect(page.locator("[data-clock]")).to_have_text(f"t = {crashed_at:.1f} s")
    shots(page, "undone")

    # A watcher looks back alone; the controller's room does not move.
    watcher = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    watcher.goto(url)
    expect(watcher.locator("[data-connection]")).to_have_attribute("data-state", "open")
    expect(watcher.locator("[data-timeline-undo]")).to_be_disabled()
    drag_to(watcher, 0.1)
    expect(watcher.locator("[data-timeline-live]")).to_be_visible()
    expect(watcher.locator("[data-timeline-at]")).to_contain_text("looking back")
    expect(watcher.locator(f'#diagram [data-node-id="{WORKER}"]')).to_have_count(1)
    shots(watcher, "phone-watcher-looking-back")
    expect(page.locator("[data-clock]")).to_have_text(f"t = {crashed_at:.1f} s")
    watcher.locator("[data-timeline-live]").click()
    expect(watcher.locator("[data-timeline-live]")).to_be_hidden()
    expect(watcher.locator("[data-timeline-at]")).not_to_contain_text("looking back")

    # A projector: 1920 with Large type.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator('[data-display-toggle="large"]').first.click()
    page.locator("[data-timeline]").scroll_into_view_if_needed()
    expect(timeline).to_be_in_viewport()
    shots(page, "projector-large-type")
    watcher.context.close()
