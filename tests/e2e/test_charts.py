"""Charts (issue 12) in a real browser: a sparkline on the queue, the chart panel showing the
room's series exactly as the server has them, picking a series, the scrubber's mark, and the
panel on a phone."""

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import node, pause, start_room
from tests.e2e.test_csp import violations  # noqa: F401 (a fixture)

QUEUE = "rabbitmq:queue:tasks"


@pytest.mark.django_db(transaction=True)
def test_chart_panel_and_sparklines_follow_the_room(page, live_server_url, shots,
                                                    violations):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 900})
    url = start_room(page, live_server_url, "rabbitmq-work-queue")
    page.locator("[data-speed-select]").select_option("8")

    # a sparkline over the queue, with a point per virtual second
    page.wait_for_function(
        "id => (document.querySelector(`#diagram [data-node-id='${id}'] [data-sparkline]"
        " polyline`)?.getAttribute('points') || '').split(' ').length >= 4", arg=QUEUE)
    assert node(page, QUEUE).locator("[data-sparkline] polyline").count() == 1
    shots(page, "sparkline-1440")

    panel = page.locator("#charts")
    panel.locator("[data-charts-toggle]").click()
    expect(panel).to_have_attribute("data-open", "true")
    depth = panel.locator('.chart[data-series="depth"]')
    expect(depth.locator("canvas")).to_have_count(1)
    expect(depth).to_have_attribute("data-nodes", QUEUE)
    expect(panel.locator('.chart[data-series="in_flight"]')).to_have_count(1)
    expect(panel.locator('.chart[data-series="lag"]')).to_have_count(0)  # no lag in RabbitMQ

    pause(page)
    server = json.loads(page.request.get(f"{url}metrics.json?nodes={QUEUE}&points=300").text())
    expect(depth).to_have_attribute("data-until", f"{server['t'][-1]:g}")
    assert int(depth.get_attribute("data-points")) == len(server["t"])
    latest = server["nodes"][QUEUE]["depth"][-1]
    assert depth.get_attribute("data-latest") == f"{latest:g}"

    # another series, picked by hand
    panel.locator('[name="chart-series"][value="publish_rate"]').check()
    rates = panel.locator('.chart[data-series="publish_rate"]')
    expect(rates.locator("canvas")).to_have_count(1)
    assert rates.get_attribute("data-latest") == f"{server['nodes'][QUEUE]['publish_rate'][-1]:g}"

    # the timeline's hook marks a virtual time on every chart
    page.evaluate("import('/static/js/charts.js').then((charts) => charts.markTime(3))")
    expect(panel).to_have_attribute("data-mark", "3")
    panel.scroll_into_view_if_needed()
    shots(page, "charts-1440")

    page.set_viewport_size({"width": 390, "height": 844})
    panel.scroll_into_view_if_needed()
    box = depth.locator("canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shots(page, "charts-390")
    assert violations() == []  # uPlot (module and stylesheet) loads under the policy
