"""Found in QA: a queue's dead-letter route back to its exchange left the queue at the very
point where the bindings arrive, so its arrow read as one more binding into the queue. A
backward route (dead-letter, requeue) now runs along the lower part of both boxes."""

import pytest

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
