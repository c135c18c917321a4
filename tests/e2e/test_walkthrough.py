"""A learner completes the poison-messages walkthrough in a real browser: reads each step,
answers the prediction, watches the step run live, sees the reveal and the checkpoints met;
a second browser follows the presenter; the home page remembers the progress."""

import pytest
from playwright.sync_api import expect

WALKTHROUGH = "poison-messages"


def open_walkthrough(page, live_server_url):
    page.goto(live_server_url)
    page.locator(f"[data-walkthrough='{WALKTHROUGH}']").click()
    page.wait_for_url("**/rooms/*/")
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    return panel


def run_step(page, panel, index):
    expect(panel).to_have_attribute("data-index", str(index))
    panel.locator("[data-wt-action='run']").click()
    # Each step plays live at the room's speed, then stops exactly at its end.
    expect(panel).to_have_attribute("data-phase", "done", timeout=30_000)


@pytest.mark.django_db(transaction=True)
def test_a_learner_completes_a_walkthrough_answering_a_prediction(page, live_server_url, shots,
                                                                   browser):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(live_server_url)
    cards = page.locator("[data-walkthrough]")
    # Interview questions first, in the order the issue lists them.
    assert [cards.nth(i).get_attribute("data-walkthrough") for i in range(4)] == [
        "kafka-or-rabbitmq", "poison-messages", "exactly-once-processing", "why-use-a-queue"]
    shots(page, "home-walkthroughs")

    panel = open_walkthrough(page, live_server_url)
    expect(panel.locator("[data-wt-step-title]")).to_have_text("Step 1 of 3: Payments flow")
    page.locator(".connection[data-state='open']").wait_for()
    page.select_option("[data-speed-select]", "4")
    shots(page, "step-1-ready")

    # A second browser opens the room's address: it follows the presenter.
    viewer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    viewer = viewer_context.new_page()
    viewer.goto(page.url)
    viewer_panel = viewer.locator("[data-walkthrough-panel]")
    expect(viewer_panel.locator("[data-wt-role]")).to_contain_text("following the presenter")
    expect(viewer_panel.locator("[data-wt-action='run']")).to_be_disabled()

    run_step(page, panel, 0)
    checkpoints = panel.locator("[data-wt-checkpoints] li")
    expect(checkpoints).to_have_count(2)
    expect(panel.locator("[data-wt-checkpoints] li[data-state='met']")).to_have_count(2)
    expect(panel.locator("[data-wt-seen]")).to_contain_text("processing-failed")
    shots(page, "step-1-done")

    panel.locator("[data-wt-action='next']").click()
    expect(panel.locator("[data-wt-step-title]")).to_have_text("Step 2 of 3: Retry, with backoff")
    expect(viewer_panel.locator("[data-wt-step-title]")).to_have_text(
        "Step 2 of 3: Retry, with backoff")
    # Predict before seeing: the answer is not on the page yet.
    expect(panel.locator("[data-correct]")).to_have_count(0)
    panel.locator("[data-choice='1']").click()
    expect(panel.locator("[data-choice='1']")).to_have_attribute("aria-pressed", "true")
    expect(panel.locator("[data-wt-verdict]")).to_contain_text("Locked in")
    shots(page, "step-2-predicted")

    run_step(page, panel, 1)
    expect(panel.locator("[data-wt-verdict]")).to_have_text("You predicted it.")
    expect(panel.locator("[data-choice='1']")).to_have_attribute("data-correct", "true")
    expect(panel.locator("[data-wt-reveal-text]")).to_contain_text("nothing is blocked")
    expect(panel.locator("[data-wt-notable]")).to_contain_text("retry-scheduled")
    expect(panel.locator("[data-wt-checkpoints] li[data-state='met']")).to_have_count(2)
    shots(page, "step-2-revealed")
    # On a projector: large type.
    page.locator("[data-display-toggle='large']").click()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "step-2-projector")
    panel.scroll_into_view_if_needed()
    page.locator("[data-wt-reveal]").scroll_into_view_if_needed()
    shots(page, "step-2-projector-reveal")
    page.locator("[data-display-toggle='large']").click()
    page.set_viewport_size({"width": 1600, "height": 1000})
    # The viewer sees the same reveal; their own (missing) guess is not marked.
    expect(viewer_panel).to_have_attribute("data-phase", "done")
    expect(viewer_panel.locator("[data-choice='1']")).to_have_attribute("data-correct", "true")
    expect(viewer_panel.locator("[data-wt-verdict]")).to_contain_text("The answer:")

    panel.locator("[data-wt-action='next']").click()
    run_step(page, panel, 2)
    expect(panel.locator("[data-wt-checkpoints] li[data-state='met']")).to_have_count(3)
    expect(panel.locator("[data-wt-action='next']")).to_be_disabled()
    expect(panel.locator("[data-wt-role]")).to_contain_text("Walkthrough complete")
    shots(page, "step-3-done")
    viewer.wait_for_timeout(300)
    shots(viewer, "viewer-follows")
    viewer_context.close()

    # Back rebuilds the room and shows the previous step, ready to run again.
    panel.locator("[data-wt-action='back']").click()
    expect(panel.locator("[data-wt-step-title]")).to_have_text("Step 2 of 3: Retry, with backoff")
    expect(panel).to_have_attribute("data-phase", "ready")
    # This browser remembers its prediction.
    expect(panel.locator("[data-choice='1']")).to_have_attribute("aria-pressed", "true")

    page.goto(live_server_url)
    card = page.locator(f"[data-walkthrough='{WALKTHROUGH}']")
    expect(card.locator("[data-progress]")).to_have_text("✓ completed")
    shots(page, "home-progress")

    # Starting it again, this browser is offered the step it had reached.
    panel = open_walkthrough(page, live_server_url)
    resume = panel.locator("[data-wt-resume]")
    expect(resume).to_contain_text("reached step 3")
    resume.locator("[data-wt-resume-go]").click()
    expect(panel.locator("[data-wt-step-title]")).to_have_text(
        "Step 3 of 3: Give up: the dead-letter queue")
    expect(resume).to_be_hidden()
