"""Issue 11, the walkthrough and the classroom in a real browser: checkpoints show only how
many before a step runs; a late walkthrough.js still draws the room's state; the presenter
sees how many watch, the class's predictions live and their own notes, and fast-forwards a
step; viewers answer (anonymously or under a name) and see the tally at the reveal.
Screenshots at 1440, at 1920 with Large type (a projector) and on a 390x844 phone."""

import re
import time

import pytest
from playwright.sync_api import expect

WALKTHROUGH = "kafka-or-rabbitmq"


def open_walkthrough(page, base_url, name=WALKTHROUGH):
    page.goto(base_url)
    page.locator(f"[data-walkthrough='{name}']").click()
    page.wait_for_url("**/rooms/*/")
    panel = page.locator("[data-walkthrough-panel]")
    expect(panel).to_have_attribute("data-phase", "ready")
    return panel


@pytest.mark.django_db(transaction=True)
def test_a_late_walkthrough_script_still_draws_the_step(page, live_server_url, shots):
    """The first walkthrough frame may arrive before walkthrough.js listens: held back 1.5 s,
    the panel still leaves "Connecting…"."""
    def slow(route):
        time.sleep(1.5)
        route.continue_()

    page.route(re.compile(r".*/js/walkthrough\.js.*"), slow)
    page.set_viewport_size({"width": 1440, "height": 900})
    panel = open_walkthrough(page, live_server_url)
    expect(panel.locator("[data-wt-step-title]")).to_have_text("Step 1 of 3: Both deliver")
    # Before the step runs: how many checkpoints, never their targets.
    expect(panel.locator("[data-wt-checkpoints-pending]")).to_have_text(
        "2 checkpoints, checked on the engine's state when the step ends.")
    expect(panel.locator("[data-wt-checkpoints] li")).to_have_count(0)
    shots(page, "late-script-ready")


@pytest.mark.django_db(transaction=True)
def test_a_class_predicts_and_the_presenter_sees_the_tally(page, live_server_url, shots,
                                                          browser):
    page.set_viewport_size({"width": 1440, "height": 900})
    panel = open_walkthrough(page, live_server_url)
    page.locator(".connection[data-state='open']").wait_for()
    # At 1x a step takes 10-14 s: the presenter fast-forwards it.
    expect(panel.locator("[data-wt-notes]")).to_be_visible()
    expect(panel.locator("[data-wt-notes-text]")).to_contain_text("RabbitMQ deletes on ack")

    # Step 1 runs; the presenter fast-forwards it.
    panel.locator("[data-wt-action='run']").click()
    expect(panel).to_have_attribute("data-phase", "running")
    panel.locator("[data-wt-action='finish']").click()
    expect(panel).to_have_attribute("data-phase", "done", timeout=10_000)
    checkpoints = panel.locator("[data-wt-checkpoints] li")
    expect(checkpoints).to_have_count(2)
    expect(checkpoints.first).to_contain_text("did its work exactly 20 times")
    panel.locator("[data-wt-action='next']").click()
    expect(panel.locator("[data-wt-step-title]")).to_have_text("Step 2 of 3: A new team arrives")

    # Two learners join: one answers under a name, the other anonymously.
    learners = []
    for index, (name, choice) in enumerate([("Ana", 1), ("", 2)]):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        learner = context.new_page()
        learner.goto(page.url)
        learner_panel = learner.locator("[data-walkthrough-panel]")
        expect(learner_panel.locator("[data-wt-step-title]")).to_have_text(
            "Step 2 of 3: A new team arrives")
        expect(learner_panel.locator("[data-wt-notes]")).to_be_hidden()
        learner_panel.locator("[data-wt-name]").fill(name)
        learner_panel.locator(f"[data-choice='{choice}']").click()
        expect(learner_panel.locator("[data-wt-tally-summary]")).to_contain_text(
            f"{index + 1} in the room answered so far")
        expect(learner_panel.locator(".wt-tally-row")).to_have_count(0)  # not before reveal
        learners.append((context, learner, learner_panel))

    expect(panel.locator("[data-wt-watching]")).to_have_text("2 other browsers are watching")
    rows = panel.locator(".wt-tally-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_attribute("data-count", "1")
    expect(rows.nth(1)).to_contain_text("Ana")
    expect(rows.nth(2)).to_have_attribute("data-count", "1")
    expect(panel.locator("[data-wt-tally-summary]")).to_have_text("2 answers from the room")
    shots(page, "1440-presenter-live-tally")

    panel.locator("[data-wt-action='run']").click()
    panel.locator("[data-wt-action='finish']").click()
    expect(panel).to_have_attribute("data-phase", "done", timeout=10_000)
    _, learner, learner_panel = learners[1]
    expect(learner_panel).to_have_attribute("data-phase", "done")
    expect(learner_panel.locator(".wt-tally-row")).to_have_count(3)
    expect(learner_panel.locator(".wt-tally-row[data-correct='true']")).to_have_attribute(
        "data-count", "1")
    shots(learner, "1280-learner-reveal-with-tally")
    shots(page, "1440-presenter-reveal")

    # A projector: 1920x1080 with Large type.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator("[data-display-toggle='large']").click()
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "1920-large-presenter")

    # A phone follows the class.
    phone_context = browser.new_context(viewport={"width": 390, "height": 844},
                                        is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    phone.goto(page.url)
    expect(phone.locator("[data-wt-step-title]")).to_have_text("Step 2 of 3: A new team arrives")
    shots(phone, "390-phone-viewer")
    phone_context.close()
    for context, _, _ in learners:
        context.close()
