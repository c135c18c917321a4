"""Found in QA as a teacher on a projector: with large type the diagram took the whole width
and the forms went below it, so publishing scrolled the diagram out of view: the class saw
the form, never the message move. The diagram now stays in view under the toolbar while the
presenter scrolls to a form."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_with_large_type_a_publish_and_its_animation_are_seen_together(page, live_server_url,
                                                                       shots, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server_url)
    page.locator('[data-display-toggle="large"]').click()
    page.locator('button[data-preset="rabbitmq-topic"]').click()
    page.wait_for_url(re.compile(r"/rooms/[\w-]+/$"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
    form = page.locator('form[data-command="publish"]')
    form.locator('[name="exchange"]').fill("events")
    form.locator('[name="routing_key"]').fill("order.created")
    form.locator('button[type="submit"]').click()
    expect(page.locator("#status-publish")).to_have_class(re.compile(r"\bok\b"))
    shots(page, f"publishing-at-{width}x{height}")
    toolbar = page.locator("[data-toolbar]").bounding_box()
    diagram = page.locator("#diagram").bounding_box()
    button = form.locator('button[type="submit"]').bounding_box()
    # The whole diagram is on screen, below the toolbar, and so is the button just pressed.
    assert diagram["y"] >= toolbar["y"] + toolbar["height"] - 1
    assert diagram["y"] + diagram["height"] <= height
    assert button["y"] >= 0 and button["y"] + button["height"] <= height
    # ...and the diagram is still large: the full width, as before.
    assert diagram["width"] >= width * 0.6
    # The toolbar keeps to one row, leaving the height to the diagram.
    assert toolbar["height"] <= 80
