"""The room's three new panels together (the timeline, Charts, "Connect your code") as their
users see them: a learner at 1440x900 (RabbitMQ), a teacher projecting at 1920x1080 with Large
type (Kafka) and a phone at 390x844 (SQS, then High contrast). Found in review: "Connect your
code" opened inside the header and pushed the toolbar and the diagram off the first screen (and
1000 px sideways on a phone), its snippets stayed 13 px with Large type, the charts opened out
of sight, the phone's timeline covered a third of the diagram."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import start_room

LAYOUT = """() => {
  const box = (selector) => {
    const element = document.querySelector(selector);
    if (!element || !element.getClientRects().length) return null;
    const { x, y, width, height } = element.getBoundingClientRect();
    return { x, y, width, height, bottom: y + height, right: x + width };
  };
  const scale = document.querySelector("#diagram").getScreenCTM().a;
  const px = (selector) => {
    const element = document.querySelector(selector);
    return element ? parseFloat(getComputedStyle(element).fontSize) : null;
  };
  return { scrollWidth: document.documentElement.scrollWidth, toolbar: box("[data-toolbar]"),
    diagram: box("#diagram"), timeline: box("[data-timeline]"), charts: box("#charts-body"),
    drawer: box("#connect-body"), timelineAt: px("[data-timeline-at]"),
    caption: px("#charts .chart figcaption"),
    // The diagram's text as drawn on screen: its font size times the drawing's scale.
    label: px("#diagram .node-label") * scale, counters: px("#diagram .node-counters") * scale,
    snippet: px("#connect-body pre"),
    facts: px("#connect-body .connect-facts dd") };
}"""


def layout(page):
    return page.evaluate(LAYOUT)


def within(box, width, height):
    return box["x"] >= 0 and box["right"] <= width + 0.5 and box["y"] >= 0 \
        and box["bottom"] <= height + 0.5


def run_a_while(page, seconds):
    page.locator("[data-speed-select]").select_option("4")
    expect(page.locator("[data-clock]")).to_have_text(re.compile(rf"t = ([{seconds}-9]|\d\d)"),
                                                      timeout=15_000)


def open_charts(page):
    page.locator("[data-charts-toggle]").click()
    expect(page.locator("#charts .chart canvas").first).to_be_visible()


def open_connect(page):
    page.locator("#connect-panel > summary").click()
    expect(page.locator("#connect-body .connect-protocol:not([hidden])")).to_have_count(1)
    expect(page.locator("#connect-body")).to_be_focused()


def seek_back(page):
    scrubber = page.locator("[data-timeline-scrubber]")
    scrubber.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    expect(page.locator("[data-timeline-live]")).to_be_visible()


def drawer_checks(page, width, height):
    """The drawer is on screen, under the toolbar, and moves nothing in the page."""
    before = layout(page)
    open_connect(page)
    now = layout(page)
    assert within(now["drawer"], width, height), now["drawer"]
    assert now["drawer"]["y"] >= now["toolbar"]["bottom"], (now["drawer"], now["toolbar"])
    assert now["toolbar"] == before["toolbar"] and now["diagram"] == before["diagram"]
    assert now["scrollWidth"] <= width
    return now


def close_with_escape(page):
    page.keyboard.press("Escape")
    expect(page.locator("#connect-body")).to_be_hidden()
    expect(page.locator("#connect-panel > summary")).to_be_focused()


@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_timeline_charts_and_connect_panels_at_three_sizes(page, live_server_url, shots):
    # A learner at 1440x900: the diagram and its timeline on the first screen.
    page.set_viewport_size({"width": 1440, "height": 900})
    start_room(page, live_server_url, "rabbitmq-work-queue")
    run_a_while(page, 3)
    first = layout(page)
    assert within(first["diagram"], 1440, 900) and within(first["timeline"], 1440, 900)
    open_charts(page)
    charts = layout(page)["charts"]
    assert charts["y"] >= 0 and charts["y"] < 900 and charts["right"] <= 1440  # not out of sight
    shots(page, "1440-charts")
    page.evaluate("window.scrollTo(0, 0)")
    drawer = drawer_checks(page, 1440, 900)["drawer"]
    # The inspector opens as a drawer on the left (the producer is not under this one).
    page.locator("#diagram .node.kind-producer").first.click()
    expect(page.locator("#inspector")).to_be_visible()
    inspector = page.locator("#inspector").bounding_box()
    assert inspector["x"] + inspector["width"] <= drawer["x"]  # side by side, not one on the other
    assert inspector["y"] >= layout(page)["toolbar"]["bottom"]  # Pause and Step stay in reach
    shots(page, "1440-connect-and-inspector")
    page.locator("#connect-body").focus()
    close_with_escape(page)  # Esc shuts the drawer first...
    expect(page.locator("#inspector")).to_be_visible()
    page.keyboard.press("Escape")  # ...then the inspector
    expect(page.locator("#inspector")).to_be_hidden()
    seek_back(page)
    shots(page, "1440-seek")

    # A teacher at 1920x1080 with Large type: readable panels, the diagram keeps the screen.
    page.set_viewport_size({"width": 1920, "height": 1080})
    start_room(page, live_server_url, "kafka-consumer-group")
    page.locator('[data-display-toggle="large"]').click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b"))
    run_a_while(page, 3)
    first = layout(page)
    shots(page, "1920-large-first")
    assert within(first["diagram"], 1920, 1080) and within(first["timeline"], 1920, 1080)
    assert first["diagram"]["height"] >= 1080 * 0.5
    assert first["timelineAt"] >= 16
    assert first["label"] >= 20 and first["counters"] >= 16  # the timeline took none of it
    open_charts(page)
    # Kafka has no unacked messages: the picker offers what the room has, in Kafka's words.
    picker = page.locator("#charts [data-charts-series]")
    expect(picker.get_by_label("Consumer lag")).to_be_visible()
    expect(picker.get_by_label("Committed / s")).to_be_visible()
    expect(picker.locator('[value="in_flight"]')).to_be_hidden()
    expect(page.locator('#charts .chart[data-series="depth"] figcaption')).to_have_text(
        "Records in the log")
    assert layout(page)["caption"] >= 16
    shots(page, "1920-large-charts")
    page.evaluate("window.scrollTo(0, 0)")
    now = drawer_checks(page, 1920, 1080)
    assert now["snippet"] >= 16 and now["facts"] >= 16
    shots(page, "1920-large-connect")
    page.locator("[data-connect-close]").click()
    expect(page.locator("#connect-body")).to_be_hidden()
    seek_back(page)
    shots(page, "1920-large-seek")
    page.locator('[data-display-toggle="large"]').click()  # remembered: put it back

    # A phone at 390x844: the diagram first, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    start_room(page, live_server_url, "sqs-visibility-timeout")
    run_a_while(page, 3)
    first = layout(page)
    assert first["diagram"]["y"] < 844 / 2 and first["scrollWidth"] <= 390
    # The timeline (stuck at the diagram's bottom) leaves most of the diagram visible.
    assert first["timeline"]["height"] <= 110
    open_charts(page)
    assert layout(page)["scrollWidth"] <= 390
    shots(page, "390-charts")
    page.evaluate("window.scrollTo(0, 0)")
    drawer_checks(page, 390, 844)
    shots(page, "390-connect")
    close_with_escape(page)
    seek_back(page)
    assert layout(page)["scrollWidth"] <= 390
    shots(page, "390-seek")

    # High contrast: the snippets go black like every other panel.
    page.locator('[data-display-toggle="contrast"]').click()
    page.evaluate("window.scrollTo(0, 0)")
    open_connect(page)
    background = page.locator("#connect-body pre").first.evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    shots(page, "390-contrast-connect")
    page.locator('[data-display-toggle="contrast"]').click()
