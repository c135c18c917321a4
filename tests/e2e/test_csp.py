"""The Content-Security-Policy breaks nothing: pages, htmx swaps and the room's WebSocket
work, and the browser reports no violation."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.room_page import command, open_group, start_room

# Runs before any page script; Playwright injects it outside the page's policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def violations(page):
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text else None)

    def collected():
        return page.evaluate("window.__cspViolations") + console

    return collected


@pytest.mark.django_db(transaction=True)
def test_home_and_a_room_run_without_csp_violations(page, live_server_url, violations):
    response = page.goto(live_server_url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert violations() == []
    start_room(page, live_server_url, "kafka-playground")  # waits for the open socket
    open_group(page, "Topics")
    command(page, "create_topic", name="orders", partitions=2)  # an htmx form and swap
    command(page, "produce", topic="orders", key="alice", value="tea")
    page.keyboard.press("?")  # the shortcuts dialog: script-built DOM
    page.keyboard.press("Escape")
    page.goto(live_server_url + "/scenarios/import/")
    expect(page.locator("form")).to_be_visible()
    assert violations() == []


@pytest.mark.django_db(transaction=True)
def test_a_walkthrough_room_runs_without_csp_violations(page, live_server_url, violations):
    page.goto(live_server_url)
    page.locator('form:has(input[value="walkthrough:kafka-partitions"]) button').click()
    page.wait_for_url(re.compile(r"/rooms/[\w-]+/$"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-state", "open")
    page.wait_for_timeout(500)
    assert violations() == []
