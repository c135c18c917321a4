"""The durability, ordering and exactly-once walkthroughs in a real browser: a learner opens
each from the home page, answers every prediction with the right choice, runs every step to
its end and sees each step's checkpoints met, up to "Walkthrough complete"."""

import pytest
from playwright.sync_api import expect

from mqlab.scenarios import load_walkthrough

LESSONS = ("durability", "ordering-pitfalls", "exactly-once-whole-answer")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", LESSONS)
def test_a_learner_runs_the_walkthrough_to_the_end_with_its_checkpoints_met(
        page, live_server_url, shots, name):
    walkthrough, _ = load_walkthrough(name)
    steps = walkthrough["steps"]
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(live_server_url)
    page.locator(f"[data-walkthrough='{name}']").click()
    page.wait_for_url("**/rooms/*/")
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    page.locator(".connection[data-state='open']").wait_for()
    page.select_option("[data-speed-select]", "8")
    shots(page, "ready")

    for index, step in enumerate(steps):
        title = f"Step {index + 1} of {len(steps)}: {step['title']}"
        expect(panel.locator("[data-wt-step-title]")).to_have_text(title)
        expect(panel).to_have_attribute("data-index", str(index))
        predict = step.get("predict")
        if predict:
            expect(panel.locator("[data-correct]")).to_have_count(0)
            panel.locator(f"[data-choice='{predict['answer']}']").click()
            expect(panel.locator("[data-wt-verdict]")).to_contain_text("Locked in")
        panel.locator("[data-wt-action='run']").click()
        # The step plays live (8x here) and stops exactly at its end.
        expect(panel).to_have_attribute("data-phase", "done", timeout=60_000)
        checkpoints = len(step.get("checkpoints", ()))
        expect(panel.locator("[data-wt-checkpoints] li")).to_have_count(checkpoints)
        expect(panel.locator("[data-wt-checkpoints] li[data-state='met']")).to_have_count(
            checkpoints)
        if predict:
            expect(panel.locator("[data-wt-verdict]")).to_have_text("You predicted it.")
            expect(panel.locator("[data-wt-reveal-text]")).to_contain_text(
                step["reveal"][:40])
            page.locator("[data-wt-reveal]").scroll_into_view_if_needed()
        shots(page, f"step-{index + 1}-done")
        if index + 1 < len(steps):
            panel.locator("[data-wt-action='next']").click()

    expect(panel.locator("[data-wt-action='next']")).to_be_disabled()
    expect(panel.locator("[data-wt-role]")).to_contain_text("Walkthrough complete")
