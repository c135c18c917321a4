"""Issue 11 in a real browser: a room shows something at once, says amber when a publish
goes nowhere, and is laid out for a 1440 screen, a 1920 projector with Large type and a
390x844 phone (figures measured, screenshots in test-screenshots/)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import open_group, start_room

MEASURE = """() => {
  const svg = document.getElementById('diagram');
  const scale = svg.getScreenCTM().a;
  const px = (selector) => {
    const el = svg.querySelector(selector);
    return el ? parseFloat(getComputedStyle(el).fontSize) * scale : 0;
  };
  const box = svg.getBoundingClientRect();
  return { label: px('.node-label'), counters: px('.node-counters'), width: box.width,
           height: box.height, top: box.top, left: box.left };
}"""


def in_view(page, selector):
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"] + 1
            and box["y"] < size["height"])


@pytest.mark.django_db(transaction=True)
def test_a_rabbitmq_preset_moves_at_once_and_its_default_publish_routes(page, live_server_url,
                                                                         shots):
    page.set_viewport_size({"width": 1440, "height": 900})
    start_room(page, live_server_url, "rabbitmq-work-queue")
    # A producer runs from the start: workers get tasks within a few seconds.
    expect(page.locator("[data-log-list] .kind-delivered").first).to_be_attached(timeout=6_000)
    # The producer is drawn under its own name; the default exchange with its implicit links.
    expect(page.locator('#diagram .node.kind-producer')).to_contain_text("task-api")
    expect(page.locator("#diagram .edges .edge-implicit")).to_have_count(1)
    open_group(page, "Messages")
    form = page.locator('form[data-command="publish"]')
    expect(form.locator('[name="routing_key"]')).to_have_value("tasks")
    form.locator('button[type="submit"]').click()
    status = page.locator("#status-publish")
    expect(status).to_have_class(re.compile(r"\bok\b"))
    expect(status).not_to_have_class(re.compile(r"\bwarn\b"))
    shots(page, "1440-work-queue-moving")

    # Save & share opens in view.
    page.locator("[data-share-menu] > summary").click()
    assert in_view(page, "[data-share-menu] .share-body")
    shots(page, "1440-save-and-share")
    page.locator("[data-share-menu] > summary").click()

    # The inspector opens in view, as a drawer, wherever the page is scrolled.
    page.evaluate("window.scrollTo(0, 400)")
    page.locator('#diagram [data-node-id="rabbitmq:queue:tasks"]').click()
    expect(page.locator("#inspector")).to_be_visible()
    assert in_view(page, "#inspector")
    shots(page, "1440-inspector-drawer")
    page.keyboard.press("Escape")
    expect(page.locator("#inspector")).to_be_hidden()

    # Keyboard help: Esc closes it, as it says.
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()

    # Reset clears the event log.
    page.locator('[data-action="reset"]').click()
    expect(page.locator("[data-log-list] .log-note").first).to_contain_text("started again")
    expect(page.locator("[data-log-count]")).not_to_have_text(re.compile(r"^[1-9]\d{2,} events"))


@pytest.mark.django_db(transaction=True)
def test_an_unroutable_publish_is_amber_and_says_why(page, live_server_url, shots):
    page.set_viewport_size({"width": 1440, "height": 900})
    start_room(page, live_server_url, "rabbitmq-playground")
    open_group(page, "Messages")
    page.locator('form[data-command="publish"] button[type="submit"]').click()
    status = page.locator("#status-publish")
    expect(status).to_have_class(re.compile(r"\bwarn\b"))
    expect(status).to_contain_text(
        "no binding of the default exchange matches routing key ''")
    shots(page, "1440-unroutable-warning")
    # The app serves its own icon.
    assert page.request.get(f"{live_server_url}/favicon.ico").ok


@pytest.mark.django_db(transaction=True)
def test_the_projector_at_1920_with_large_type(page, live_server_url, shots):
    page.set_viewport_size({"width": 1920, "height": 1080})
    start_room(page, live_server_url, "rabbitmq-work-queue")
    page.locator("[data-display-toggle='large']").click()
    page.wait_for_timeout(500)
    page.locator("#diagram").scroll_into_view_if_needed()
    figures = page.evaluate(MEASURE)
    print("projector work queue:", figures)
    assert figures["label"] >= 20 and figures["counters"] >= 16, figures
    assert figures["width"] >= 0.6 * 1920, figures
    shots(page, "1920-large-work-queue")
    page.locator('#diagram [data-node-id="rabbitmq:queue:tasks"]').click()
    assert in_view(page, "#inspector")
    shots(page, "1920-large-inspector-drawer")


@pytest.mark.django_db(transaction=True)
def test_a_projected_walkthrough_shows_narration_and_diagram_on_the_first_screen(
        page, live_server_url, shots):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_server_url)
    page.locator("[data-walkthrough='work-queue']").click()
    page.wait_for_url("**/rooms/*/")
    page.locator("[data-display-toggle='large']").click()
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "1920-large-walkthrough-ready")
    expect(panel.locator("[data-wt-action='run']")).to_be_in_viewport()
    panel.locator("[data-wt-action='run']").click()
    expect(panel).to_have_attribute("data-phase", "running")
    page.wait_for_timeout(300)
    toolbar = page.locator("[data-toolbar]").bounding_box()
    narration = panel.locator("[data-wt-narration]").bounding_box()
    assert toolbar["y"] + toolbar["height"] <= narration["y"] < 1080 - 40, narration
    expect(panel.locator("[data-wt-action='finish']")).to_be_in_viewport()
    figures = page.evaluate(MEASURE)
    print("projector walkthrough:", figures)
    assert figures["top"] < 400 and figures["height"] > 0.45 * 1080, figures
    shots(page, "1920-large-walkthrough")


@pytest.mark.django_db(transaction=True)
def test_a_phone_gets_the_diagram_first_and_the_controls_in_a_drawer(browser, live_server_url,
                                                                    shots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    start_room(page, live_server_url, "rabbitmq-work-queue")
    figures = page.evaluate(MEASURE)
    print("phone:", figures)
    assert figures["top"] < 400 and figures["label"] >= 9.5, figures
    toolbar = page.locator("[data-toolbar]").bounding_box()
    assert toolbar["height"] < 80, toolbar  # one row
    shots(page, "390-diagram-first")
    page.locator("[data-zoom='in']").click()
    assert page.evaluate(MEASURE)["label"] > figures["label"]
    page.locator("[data-drawer-toggle]").click()
    expect(page.locator('form[data-command="publish"]')).to_be_in_viewport()
    shots(page, "390-controls-drawer")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_phone_reaches_the_walkthroughs_action(browser, live_server_url, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(live_server_url)
    page.locator("[data-walkthrough='work-queue']").click()
    page.wait_for_url("**/rooms/*/")
    run = page.locator("[data-wt-action='run']")
    expect(page.locator("[data-walkthrough-panel]")).to_have_attribute("data-phase", "ready")
    page.locator("[data-wt-narration]").scroll_into_view_if_needed()
    expect(run).to_be_in_viewport()
    shots(page, "390-walkthrough-action")
    context.close()
