"""The walkthroughs of issue 14 in a real browser: each opens from the home page, every step
is predicted and run live to its end at 8x, and every checkpoint is met. publish-subscribe's
last step runs a subscriber's exclusive queue (a scenario 'subscribe' consumer) in the room,
and the learner reads what it missed as a sentence."""

import pytest
from playwright.sync_api import expect

from mqlab.scenarios import load_walkthrough

SPEED = 8
NEW = ["topic-routing", "sqs-fifo-groups", "sqs-visibility-timeout", "kafka-rebalancing",
       "publish-subscribe"]
#: a step that runs a claim the lesson once only told, and the checkpoint sentence it shows
SHOWN = {"publish-subscribe": (2, "live-feed received exactly 9 messages")}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", NEW)
def test_a_new_walkthrough_runs_to_its_end_with_every_checkpoint_met(page, live_server_url,
                                                                     shots, name):
    data, _ = load_walkthrough(name)
    steps = data["steps"]
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(live_server_url)
    page.locator(f"[data-walkthrough='{name}']").click()
    page.wait_for_url("**/rooms/*/")
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    page.locator(".connection[data-state='open']").wait_for()
    page.select_option("[data-speed-select]", str(SPEED))
    for index, step in enumerate(steps):
        if index:
            panel.locator("[data-wt-action='next']").click()
        expect(panel.locator("[data-wt-step-title]")).to_have_text(
            f"Step {index + 1} of {len(steps)}: {step['title']}")
        expect(panel).to_have_attribute("data-index", str(index))
        if "predict" in step:
            panel.locator(f"[data-choice='{step['predict']['answer']}']").click()
        panel.locator("[data-wt-action='run']").click()
        # The step plays live at SPEED, then stops exactly at its end.
        timeout = 15_000 + step["run_for"] * 1000 // SPEED * 2
        expect(panel).to_have_attribute("data-phase", "done", timeout=timeout)
        if "predict" in step:
            expect(panel.locator("[data-wt-verdict]")).to_have_text("You predicted it.")
        checkpoints = len(step.get("checkpoints", []))
        expect(panel.locator("[data-wt-checkpoints] li")).to_have_count(checkpoints)
        expect(panel.locator("[data-wt-checkpoints] li[data-state='met']")).to_have_count(
            checkpoints)
        if SHOWN.get(name, (None,))[0] == index:
            expect(panel.locator("[data-wt-checkpoints]")).to_contain_text(SHOWN[name][1])
        shots(page, f"step-{index + 1}-done")
    expect(panel.locator("[data-wt-role]")).to_contain_text("Walkthrough complete")
