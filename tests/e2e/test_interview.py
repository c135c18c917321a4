"""The interview kit in a browser: a drill answered wrong comes back after one other card and,
answered right, moves up a box; the pages read at 1440, at 1920 with large type, and on a
390-wide phone."""

import re

import pytest
from playwright.sync_api import expect

from mqlab.interview import DRILLS, QUESTIONS
from tests.e2e.test_csp import violations  # noqa: F401 (a fixture)

FIRST, SECOND = DRILLS[0], DRILLS[1]


def answer(page, drill, right):
    item = page.locator(f'[data-deck="drills"] [data-item="{drill.slug}"]')
    expect(item).to_be_visible()
    choice = drill.answer if right else (drill.answer + 1) % len(drill.options)
    item.locator(f'[data-option="{choice}"]').click()
    expect(item).to_have_class(re.compile(r"\b(right|wrong)\b"))
    return item


@pytest.mark.django_db(transaction=True)
def test_a_missed_drill_comes_back_after_one_card_then_moves_up(page, live_server_url, shots,
                                                                violations):  # noqa: F811
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server_url}/interview/drills/")
    page.evaluate("localStorage.clear()")
    page.reload()
    deck = page.locator('[data-deck="drills"]')
    expect(deck.locator("[data-item]:visible")).to_have_count(1)

    item = answer(page, FIRST, right=False)
    expect(item.locator("[data-verdict]")).to_have_text("Not quite. Box 1, back after 1 card.")
    expect(item).to_have_attribute("data-box", "1")
    expect(item).to_have_attribute("data-due-in", "1")
    # The simulation that answers it, run headless on the server.
    item.locator(".run summary").click()
    expect(item.locator("[data-run] .run-facts li.met").first).to_be_visible()
    shots(page, "answered-wrong")

    item.locator("[data-next]").click()
    answer(page, SECOND, right=True).locator("[data-next]").click()

    # The missed drill is due again, before the drills never seen.
    item = answer(page, FIRST, right=True)
    expect(item.locator("[data-verdict]")).to_have_text("Right. Box 2, back after 3 cards.")
    expect(item).to_have_attribute("data-box", "2")
    shots(page, "answered-right")

    # Progress stays in this browser: after a reload the next drill is a new one.
    page.reload()
    third = deck.locator(f'[data-item="{DRILLS[2].slug}"]')
    expect(third).to_be_visible()
    expect(deck.locator(f'[data-item="{FIRST.slug}"]')).to_have_attribute("data-box", "2")
    expect(deck.locator("[data-deck-status]")).to_contain_text("box 2: 2")
    assert violations() == []


@pytest.mark.django_db(transaction=True)
def test_flash_card_graded_not_yet_returns_after_one_card(page, live_server_url):
    page.goto(f"{live_server_url}/interview/drills/")
    page.evaluate("localStorage.clear()")
    page.reload()
    cards = page.locator('[data-deck="cards"]')
    first = cards.locator("[data-item]:visible")
    slug = first.get_attribute("data-item")
    first.locator("summary").click()
    first.locator('[data-grade="0"]').click()
    other = cards.locator("[data-item]:visible")
    assert other.get_attribute("data-item") != slug
    other.locator("summary").click()
    other.locator('[data-grade="1"]').click()
    expect(cards.locator("[data-item]:visible")).to_have_attribute("data-item", slug)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width,height,large", [(1440, 900, False), (1920, 1080, True),
                                                (390, 844, False)])
def test_kit_pages_are_legible(page, live_server_url, shots, width, height, large):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server_url)
    if large:
        page.locator('[data-display-toggle="large"]').click()
    page.locator("[data-interview-link]").click()
    expect(page.locator("h1")).to_have_text("Interview kit")
    shots(page, f"index-{width}")
    page.locator(f'[data-question="{QUESTIONS[4].slug}"]').click()
    expect(page.locator(".model-answer p").first).to_be_visible()
    shots(page, f"question-{width}")
    page.locator(".question-side").scroll_into_view_if_needed()
    shots(page, f"question-side-{width}")
    page.goto(f"{live_server_url}/interview/compare/")
    shots(page, f"compare-{width}")
    page.goto(f"{live_server_url}/interview/drills/")
    expect(page.locator('[data-deck="drills"] [data-item]:visible')).to_have_count(1)
    shots(page, f"drills-{width}")
    # Nothing is wider than the screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    for path in ("/interview/", "/interview/compare/",
                 f"/interview/questions/{QUESTIONS[0].slug}/"):
        page.goto(live_server_url + path)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path


@pytest.mark.django_db(transaction=True)
def test_a_question_opens_its_lesson_in_a_room(page, live_server_url):
    question = QUESTIONS[0]
    page.goto(f"{live_server_url}/interview/questions/{question.slug}/")
    page.locator(".run summary").click()
    expect(page.locator(f'[data-run="{question.lesson}"] .run-facts li.met').first).to_be_visible()
    page.locator(f'[data-lesson="{question.lesson}"]').click()
    page.wait_for_url(re.compile(r"/rooms/[\w-]+/$"))
