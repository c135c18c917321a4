"""Helpers for driving a room page in a real browser as a person does: start a preset from
the home page, fill and submit command forms, pause and resume the clock, find diagram
nodes."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'#diagram [data-node-id="{node_id}"]')


def start_room(page: Page, base_url: str, preset: str) -> str:
    """Start ``preset`` from the home page and wait for the room's socket; the room's URL."""
    page.goto(base_url)
    page.locator(f'button[data-preset="{preset}"]').click()
    page.wait_for_url(re.compile(r"/rooms/[\w-]+/$"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
    return page.url


def open_group(page: Page, name: str) -> None:
    group = page.locator(f'details[data-group="{name}"]')
    if group.get_attribute("open") is None:
        group.locator("> summary").click()


def command(page: Page, command_name: str, **fields: object) -> None:
    """Fill a command's form (opening its "More" fields when needed), submit it and wait for
    an ok status."""
    form = page.locator(f'form[data-command="{command_name}"]')
    for field, value in fields.items():
        box = form.locator(f'[name="{field}"]:not([type="hidden"])')
        if not box.is_visible():
            form.locator("details[data-more] > summary").click()
        if isinstance(value, bool):
            box.set_checked(value)
        elif box.evaluate("el => el.tagName") == "SELECT":
            box.select_option(str(value))
        else:
            box.fill(str(value))
    form.locator('button[type="submit"]').click()
    expect(page.locator(f"#status-{command_name}")).to_have_class(re.compile(r"\bok\b"))


def pause(page: Page) -> None:
    page.locator('[data-action="toggle"]').click()
    expect(page.locator("[data-toolbar]")).to_have_attribute("data-paused", "true")


def resume(page: Page) -> None:
    page.locator('[data-action="toggle"]').click()
    expect(page.locator("[data-toolbar]")).to_have_attribute("data-paused", "false")


def show_diagram(page: Page) -> None:
    """Scroll the diagram to the middle of the screen, as a presenter would (the forms
    scroll the page away from it)."""
    page.locator("#diagram").evaluate("el => el.scrollIntoView({block: 'center'})")


def stop_preset_producer(page: Page, name: str) -> None:
    """Presets start moving at once (a producer runs, issue 11): a test that counts what it
    sends itself stops that producer first."""
    open_group(page, "Messages")
    command(page, "stop_producer", producer=name)


def quiet_work_queue(page: Page) -> None:
    """The work-queue preset with its producer stopped and what it sent worked off: a test
    that counts its own messages starts from an empty queue, idle workers and an empty log."""
    stop_preset_producer(page, "task-api")
    empty = re.compile(r"^ready 0 · unacked 0\b")
    expect(node(page, "rabbitmq:queue:tasks").locator(".node-counters")).to_have_text(
        empty, timeout=20_000)
    # A fresh page: its log lists only what the test does from here on, and its snapshot is
    # the room as it is (a node drawn empty may still wait for a token to land in it).
    page.reload()
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
    expect(node(page, "rabbitmq:queue:tasks").locator(".node-counters")).to_have_text(
        empty, timeout=20_000)
