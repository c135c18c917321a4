"""Found in QA: a queue's dead-letter route back to its exchange left the queue at the very
point where the bindings arrive, so its arrow read as one more binding into the queue. A
backward route (dead-letter, requeue) now runs along the lower part of both boxes."""

import pytest

from mqlab.presets import find
from mqlab.rooms import Room

ROUTES_SCRIPT = """async () => {
  const { routeBetween } = await import("/static/js/layout.js");
  const exchange = { x: 0, y: 100, w: 150, h: 60 };
  const queue = { x: 300, y: 100, w: 200, h: 80 };
  const start = (d) => d.slice(1).split(" ")[0].split(",").map(Number);
  const end = (d) => d.split(" ").at(-1).split(",").map(Number);
  const forward = routeBetween(exchange, queue).d;
  const backward = routeBetween(queue, exchange).d;
  return { forwardEnd: end(forward), backwardStart: start(backward), backwardEnd: end(backward) };
}"""


@pytest.mark.django_db(transaction=True)
def test_a_backward_route_leaves_below_where_forward_edges_arrive(page, live_server_url):
    page.goto(live_server_url)
    result = page.evaluate(ROUTES_SCRIPT)
    assert result["forwardEnd"] == [300, 140]  # a binding arrives at the queue's middle
    assert result["backwardStart"] == [300, 160]  # the dead letters leave lower down
    assert result["backwardEnd"] == [150, 145]  # and reach the exchange's lower part



LABELS_SCRIPT = """async (topology) => {
  const { layout } = await import("/static/js/layout.js");
  const CHAR = 7.8;
  return layout(topology).edges.filter((r) => r.label).map((r) => {
    const w = Math.min(r.label.length, 26) * CHAR + 14;
    return { label: r.label, left: r.mid.x - w / 2, right: r.mid.x + w / 2,
      top: r.mid.y - 11, bottom: r.mid.y + 9 };
  });
}"""


def qa_topology() -> dict:
    """The topology built in QA from the playground's forms, where a headers binding's label
    covered a topic binding's label."""
    room = Room("qa", find("rabbitmq-playground"), seed=1, owner="me")
    steps = [("declare_exchange", {"name": name, "exchange_type": kind})
             for name, kind in (("orders", "direct"), ("bcast", "fanout"),
                                ("events", "topic"), ("hdrs", "headers"), ("dlx", "fanout"))]
    steps += [("declare_queue", {"name": name, "dead_letter_exchange": dlx}) for name, dlx in
              (("ttlq", "dlx"), ("short", ""), ("dropper", "dlx"), ("prio", ""),
               ("qq", "dlx"), ("parking", ""))]
    steps += [("bind", {"queue": queue, "exchange": exchange, "routing_key": key})
              for queue, exchange, key in (("parking", "dlx", ""), ("ttlq", "orders", "ttl"),
                                           ("short", "bcast", ""), ("dropper", "bcast", ""),
                                           ("prio", "events", "order.*"),
                                           ("qq", "events", "#.poison"))]
    steps.append(("bind", {"queue": "prio", "exchange": "hdrs", "routing_key": "",
                           "arguments": '{"x-match": "any", "format": "pdf", "type": "report"}'}))
    steps += [("add_consumer", {"name": name, "queue": queue, "ack_mode": "manual"})
              for name, queue in (("auto-1", "prio"), ("man-1", "qq"))]
    for command, args in steps:
        assert room.run_command("me", command, args).ok
    return room.sim.topology()


@pytest.mark.django_db(transaction=True)
def test_labels_of_crossing_edges_do_not_cover_each_other(page, live_server_url):
    page.goto(live_server_url)
    labels = page.evaluate(LABELS_SCRIPT, qa_topology())
    assert len(labels) == 4
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            apart = (a["right"] <= b["left"] or b["right"] <= a["left"]
                     or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])
            assert apart, (a, b)


ABOVE_SCRIPT = """async (topology) => {
  const { Diagram } = await import("/static/js/diagram.js");
  const root = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  document.body.append(root);
  const diagram = new Diagram(root, { onSelectNode() {}, onSelectMessage() {} });
  diagram.render(topology, {});
  const all = [...root.querySelectorAll(".edge-line, .edge-label-bg")];
  const lastLine = all.map((el) => el.classList.contains("edge-line")).lastIndexOf(true);
  const firstLabel = all.findIndex((el) => el.classList.contains("edge-label-bg"));
  diagram.select("rabbitmq:queue:prio");
  const focused = [...root.querySelectorAll(".edge-labels .edge-focus .edge-label")]
    .map((el) => el.textContent).sort();
  return { lastLine, firstLabel, focused };
}"""


@pytest.mark.django_db(transaction=True)
def test_edge_labels_are_drawn_above_every_edge_line(page, live_server_url):
    # Found in QA: a later edge's line crossed an earlier label ("order.*" read "order.²").
    page.goto(live_server_url)
    result = page.evaluate(ABOVE_SCRIPT, qa_topology())
    assert result["firstLabel"] > result["lastLine"]
    # Selecting a node still highlights its edges' labels.
    assert result["focused"] == ["any: format=pdf, type=rep…", "order.*"]
