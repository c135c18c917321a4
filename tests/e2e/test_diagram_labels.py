"""The diagram's words never sit on one another (issue 11, "overlapping labels"): in the rooms
with the most labels (a replicated Kafka topic with a broker killed and its leader/ISR banners,
a RabbitMQ topic exchange with several binding keys, the Kafka-vs-RabbitMQ walkthrough's two
lanes), no two label boxes (node titles, counters, settings tags, edge labels, replica boxes,
banners) intersect, at 1440 wide and at 1920 with Large type on.

Each room is saved as a screenshot (the `shots` fixture) so a person can judge the picture.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import command, node, open_group, pause, show_diagram, start_room

# Every label the diagram draws, with the node or edge it belongs to; then each pair closer
# than 2 screen pixels (a border drawn on its neighbour's border reads as one blob).
OVERLAPS = """
(root) => {
  const CLEAR = 2; // screen pixels between two labels: touching reads as one blob
  const kinds = {
    '.node-label': 'title', '.node-counters': 'counters', '.node-tags': 'tags',
    '.edge-labels > g': 'edge label', '.kafka-replica': 'replica', '.kafka-banner': 'banner',
  };
  const boxes = [];
  for (const [selector, kind] of Object.entries(kinds)) {
    for (const el of root.querySelectorAll(selector)) {
      if (!el.textContent.trim()) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const owner = el.closest('[data-node-id]')?.dataset.nodeId
        || el.dataset.bannerFor || `${el.dataset.source} -> ${el.dataset.target}`;
      boxes.push({ kind, owner, text: el.textContent.trim(), r });
    }
  }
  const hit = (a, b) => a.left - CLEAR < b.right && b.left - CLEAR < a.right
    && a.top - CLEAR < b.bottom && b.top - CLEAR < a.bottom;
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      // A partition's replica boxes are one row of boxes, 3 units apart by design.
      if (a.kind === 'replica' && b.kind === 'replica') continue;
      if (hit(a.r, b.r)) {
        found.push(`${a.kind} "${a.text}" of ${a.owner} / ${b.kind} "${b.text}" of ${b.owner}`);
      }
    }
  }
  // And no label on a node it does not belong to (edge labels and banners on none at all).
  const free = new Set(['edge label', 'banner']);
  for (const shape of root.querySelectorAll('.node-shape')) {
    const r = shape.getBoundingClientRect();
    const id = shape.closest('[data-node-id]').dataset.nodeId;
    for (const b of boxes) {
      if ((free.has(b.kind) || b.owner !== id) && hit(b.r, r)) {
        found.push(`${b.kind} "${b.text}" of ${b.owner} / node ${id}`);
      }
    }
  }
  return { count: boxes.length, kinds: [...new Set(boxes.map((b) => b.kind))], found };
}
"""


def overlaps(page):
    return page.locator("#diagram").evaluate(OVERLAPS)


def assert_apart(page, shots, label, kinds, phone=False):
    """Every room is checked and saved before the test fails: one run shows all of them."""
    if phone:
        page.set_viewport_size({"width": 390, "height": 844})
    show_diagram(page)
    page.wait_for_timeout(300)
    shots(page, label)
    seen = overlaps(page)
    missing = set(kinds) - set(seen["kinds"])
    return [f"{label}: no {kind} drawn" for kind in sorted(missing)] + [
        f"{label}: {pair}" for pair in seen["found"]]


def broker_failure(page, base_url, shots, label, phone=False):
    start_room(page, base_url, "kafka-broker-failure")
    leader = node(page, "kafka:partition:events/0").locator(".kafka-leader")
    expect(leader).to_have_count(1)
    expect(node(page, "kafka:producer:sensor")).to_be_visible()  # the whole picture is there
    pause(page)
    old = leader.get_attribute("data-broker")
    open_group(page, "Faults")
    command(page, "kill_broker", broker=old)
    # The banner says where leadership went and which replicas are in sync.
    banner = page.locator('.kafka-banner[data-banner-for="kafka:partition:events/0"]')
    expect(banner).to_contain_text("leader → broker")
    return assert_apart(page, shots, f"{label}-kafka-broker-killed",
                        ["title", "counters", "replica", "banner", "edge label"], phone)


def topic_routing(page, base_url, shots, label, phone=False):
    start_room(page, base_url, "rabbitmq-topic")
    expect(node(page, "rabbitmq:consumer:user-service")).to_be_visible()
    pause(page)
    return assert_apart(page, shots, f"{label}-rabbitmq-topic",
                        ["title", "counters", "edge label"], phone)


def two_lanes(page, base_url, shots, label, phone=False):
    page.goto(base_url)
    page.locator("[data-walkthrough='kafka-or-rabbitmq']").click()
    page.wait_for_url("**/rooms/*/")
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    panel.locator("[data-wt-action='run']").click()
    # The step's producers are on the picture once their first orders are logged.
    expect(page.locator("[data-log-list] .log-route", has_text="orders (Apache Kafka topic)")
           .first).to_be_attached(timeout=10_000)
    expect(node(page, "rabbitmq:consumer:billing-rabbit")).to_be_visible()
    expect(node(page, "kafka:consumer:billing-kafka")).to_be_visible()
    pause(page)
    # The Kafka lane is drawn by Kafka's module too: each partition shows its replicas.
    expect(node(page, "kafka:partition:orders/0").locator(".kafka-leader")).to_have_count(1)
    return assert_apart(page, shots, f"{label}-two-lanes",
                        ["title", "counters", "edge label", "replica"], phone)


@pytest.mark.django_db(transaction=True)
def test_diagram_labels_never_overlap(page, live_server_url, shots):
    page.set_viewport_size({"width": 1440, "height": 900})
    problems = []
    for room in (broker_failure, topic_routing, two_lanes):
        problems += room(page, live_server_url, shots, "1440")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_server_url)
    page.locator('[data-display-toggle="large"]').click()
    expect(page.locator('[data-display-toggle="large"]')).to_have_attribute("aria-pressed", "true")
    for room in (broker_failure, topic_routing, two_lanes):
        problems += room(page, live_server_url, shots, "1920-large")
    # A phone: the controls are in a drawer, so each room is set up wide and then looked at
    # on 390x844 (the diagram pans and zooms there; its words must still stand apart).
    page.locator('[data-display-toggle="large"]').click()
    expect(page.locator('[data-display-toggle="large"]')).to_have_attribute("aria-pressed", "false")
    for room in (broker_failure, topic_routing):
        page.set_viewport_size({"width": 1440, "height": 900})
        problems += room(page, live_server_url, shots, "390", phone=True)
    assert problems == [], "\n".join(problems)
