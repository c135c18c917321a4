"""The interview kit: every page answers, every question is complete, and every link opens a
room (its slug is a library scenario, walkthrough or preset)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from mqlab.interview import CARDS, COLUMNS, DRILLS, QUESTIONS, ROWS, SOURCES, check
from mqlab.interview.compare import cited
from mqlab.interview.questions import TOPICS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client():
    return Client()


def test_the_bank_has_at_least_25_distinct_questions_in_known_topics():
    assert len(QUESTIONS) >= 25
    assert len({q.slug for q in QUESTIONS}) == len(QUESTIONS)
    assert {q.topic for q in QUESTIONS} <= set(TOPICS)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.slug)
def test_every_question_has_an_answer_tradeoffs_followups_and_a_lesson(question):
    assert len(question.answer) >= 2 and all(len(p) > 120 for p in question.answer)
    assert len(question.tradeoffs) >= 2
    assert len(question.followups) >= 2
    assert all(f.endswith("?") for f in question.followups)
    assert question.lesson and question.watch


def test_every_link_opens_a_room():
    slugs = [q.lesson for q in QUESTIONS] + [d.lesson for d in DRILLS]
    assert check(slugs) == []


def test_a_missing_lesson_is_reported():
    assert check(["scenario:no-such-thing", "walkthrough:poison-messages"]) == [
        "scenario:no-such-thing"]


def test_every_figure_in_the_table_names_a_defined_source():
    assert cited() <= set(SOURCES)
    assert {card.source for card in CARDS} <= set(SOURCES)
    assert all(url.startswith("https://") for _, url in SOURCES.values())
    for row in ROWS:
        assert set(row.cells) == {key for key, _ in COLUMNS}, row.label
        if not row.rough:
            assert all(cell.sources for cell in row.cells.values()), row.label


def test_the_table_states_the_documented_defaults():
    text = " ".join(cell.text for row in ROWS for cell in row.cells.values())
    for figure in ("30 s", "4 days", "14 days", "5 min", "300 TPS", "3,000", "45 s",
                   "256 KiB", "1,048,588", "16 MiB"):
        assert figure in text, figure


def test_drills_have_one_right_answer_among_distinct_options():
    assert len({d.slug for d in DRILLS}) == len(DRILLS)
    for drill in DRILLS:
        assert len(set(drill.options)) == len(drill.options), drill.slug


def test_index_lists_every_question(client):
    page = client.get("/interview/").content.decode()
    for question in QUESTIONS:
        assert f'/interview/questions/{question.slug}/' in page


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.slug)
def test_question_page_shows_the_answer_and_posts_its_lesson_to_rooms(client, question):
    response = client.get(f"/interview/questions/{question.slug}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'action="/rooms/"' in page
    assert f'name="preset" value="{question.lesson}"' in page
    assert "Trade-offs" in page and "Follow-ups" in page


def test_unknown_question_is_404(client):
    assert client.get("/interview/questions/nope/").status_code == 404


def test_compare_page_numbers_each_source(client):
    page = client.get("/interview/compare/").content.decode()
    refs = set(re.findall(r'href="#source-(\d+)"', page))
    anchors = set(re.findall(r'id="source-(\d+)"', page))
    assert refs and refs <= anchors
    assert page.count("<tr") == len(ROWS) + 1


def test_drills_page_carries_every_drill_and_card(client):
    page = client.get("/interview/drills/").content.decode()
    for item in [*DRILLS, *CARDS]:
        assert f'data-item="{item.slug}"' in page
    assert "interview-drills.js" in page


@pytest.mark.django_db
def test_home_links_to_the_kit(client):
    assert 'href="/interview/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_question_link_starts_its_room(client, sync_rooms):
    response = client.post("/rooms/", {"preset": QUESTIONS[0].lesson})
    assert response.status_code == 303


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_leitner_scheduling_passes_its_node_tests():
    result = subprocess.run(["node", "--test", "tests/js/"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_right_answers_are_not_always_at_the_same_letter(client):
    page = client.get("/interview/drills/").content.decode()
    letters = set()
    for drill in DRILLS:
        article = page.split(f'data-item="{drill.slug}"', 1)[1].split("</ol>", 1)[0]
        shown = re.findall(r'data-option="(\d+)"', article)
        assert sorted(shown) == [str(i) for i in range(len(drill.options))]
        letters.add(shown.index(str(drill.answer)))
    assert len(letters) >= 3


@pytest.mark.parametrize("drill", DRILLS, ids=lambda d: d.slug)
def test_each_drill_is_answered_by_a_headless_run_whose_checks_pass(client, drill):
    response = client.get(f"/interview/drills/{drill.slug}/run/")
    assert response.status_code == 200
    run = response.context["run"]
    assert run["facts"] and all(fact["met"] for fact in run["facts"])


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.slug)
def test_each_question_lesson_runs_headless_and_meets_its_checks(client, question):
    response = client.get(f"/interview/questions/{question.slug}/run/")
    assert response.status_code == 200
    assert all(fact["met"] for fact in response.context["run"]["facts"])


def test_runs_of_unknown_items_are_404(client):
    assert client.get("/interview/drills/nope/run/").status_code == 404
    assert client.get("/interview/questions/nope/run/").status_code == 404
