import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_home_page_is_served_with_its_own_htmx(page, live_server_url, shots):
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto(live_server_url)
    expect(page.locator("h1")).to_have_text("mqlab")
    shots(page, "home")
    scripts = [r for r in responses if r.url.endswith(".js")]
    assert scripts, "htmx should be loaded from the app"
    assert all(r.url.startswith(live_server_url) and r.ok for r in scripts)
