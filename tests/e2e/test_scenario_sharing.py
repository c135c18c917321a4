"""A scenario in the browser: started from the home page, saved and opened from its share link
by someone else, downloaded, broken, imported with its problems listed by path, then fixed."""

import json

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_a_scenario_is_saved_shared_exported_and_imported(page, live_server_url, shots, browser,
                                                          tmp_path):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server_url)
    page.locator("[data-scenario='delivery-guarantees']").click()
    page.wait_for_url("**/rooms/*/")
    expect(page.locator(".room-head h1")).to_contain_text("At-most-once")
    page.locator(".connection[data-state='open']").wait_for()
    page.locator(".scenario-explanation summary").click()
    page.select_option("[data-speed-select]", "8")
    # The crash at t=8 costs each consumer differently: the scoreboard shows it live.
    lost = page.locator("[data-consumer='emails sent (at-most-once)'] [data-lost]")
    expect(lost).not_to_have_text("0", timeout=10_000)
    shots(page, "scenario-room")
    # The scoreboard is swapped for a fresh copy every second: scroll to whichever is there
    # (an element handle may be detached by the swap between finding it and scrolling).
    page.evaluate("document.getElementById('scoreboard').scrollIntoView({block: 'center'})")
    shots(page, "scoreboard")

    page.locator("[data-share-menu] summary").click()
    with page.expect_download() as download:
        page.locator("[data-export-scenario]").click()
    exported = tmp_path / "exported.json"
    download.value.save_as(exported)
    spec = json.loads(exported.read_text())
    assert spec["title"] == "At-most-once vs at-least-once vs effectively-once"

    page.fill("#save-title", "Guarantees, for the class")
    shots(page, "share-menu")
    page.locator("[data-save-scenario]").click()
    page.wait_for_url("**/scenarios/saved/*/")
    share_url = page.locator("[data-share-url]").input_value()
    assert share_url == page.url
    shots(page, "saved-page")

    friend = browser.new_context().new_page()
    friend.goto(share_url)
    expect(friend.locator("h1")).to_have_text("Guarantees, for the class")
    friend.locator("[data-open-saved]").click()
    friend.wait_for_url("**/rooms/*/")
    expect(friend.locator(".room-head h1")).to_contain_text("At-most-once")
    friend.context.close()

    # A broken copy: every problem is listed with its JSON path, nothing starts.
    spec["consumers"][0]["guarantee"] = "exactly-once"
    spec["duration"] = -1
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(spec))
    page.goto(f"{live_server_url}/scenarios/import/")
    page.set_input_files("#scenario-file", str(broken))
    page.locator(".import-form button[type='submit']").click()
    problems = page.locator("[data-problems] li")
    expect(problems).to_have_count(2)
    expect(page.locator("[data-path='$.consumers[0].guarantee']")).to_contain_text(
        "'exactly-once' is not allowed")
    expect(page.locator("[data-path='$.duration']")).to_contain_text("must be")
    shots(page, "import-problems")

    spec["consumers"][0]["guarantee"] = "at-most-once"
    spec["duration"] = 40
    spec["title"] = "Fixed copy"
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(spec))
    page.set_input_files("#scenario-file", str(fixed))
    page.locator(".import-form button[type='submit']").click()
    page.wait_for_url("**/rooms/*/")
    expect(page.locator(".room-head h1")).to_contain_text("Fixed copy")
    shots(page, "imported-room")
