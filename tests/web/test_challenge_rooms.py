"""Challenge mode in the browser, without a browser: the home page lists the challenges, a
``challenge:<name>`` room plays the broken system with the goal as its expectations and shows
the panel; "Check my fix" runs the goal over every seed and counts who solved it."""

from __future__ import annotations

import pytest
from django.test import Client

from mqlab import challenges_web
from mqlab.rooms import Room, registry
from mqlab.scenarios import challenge as challenges

pytestmark = pytest.mark.django_db

NAME = "rabbitmq-binding-typo"


@pytest.fixture
def visitor(sync_rooms):
    return Client()


def start(client: Client, slug: str) -> Room:
    response = client.post("/rooms/", {"preset": slug})
    assert response.status_code == 303, response.content
    return registry.get(response["Location"].strip("/").split("/")[-1])


def test_home_lists_every_challenge_with_par_and_seeds(visitor):
    html = visitor.get("/").content.decode()
    for name in challenges.names():
        assert f'data-challenge-card="{name}"' in html
    assert "par 2 · 6 seeds" in html


def test_a_challenge_room_plays_the_broken_system_with_the_goal_as_expectations(visitor):
    room = start(visitor, f"challenge:{NAME}")
    challenge = challenges.load(NAME)
    assert room.scenario_run.spec["expect"] == challenge["goal"]
    assert room.seed == challenge["seeds"][0]
    page = visitor.get(f"/rooms/{room.id}/").content.decode()
    assert challenge["story"] in page
    assert 'name="knob-binding"' in page
    assert "Check my fix" in page
    assert 'id="challenge-solvers"' in page  # the owner is the presenter


def test_an_unknown_challenge_is_a_400_naming_the_challenges(visitor):
    response = visitor.post("/rooms/", {"preset": "challenge:nope"})
    assert response.status_code == 400
    assert NAME in response.content.decode()


def test_the_goal_is_pending_until_judged(visitor):
    room = start(visitor, f"challenge:{NAME}")
    html = visitor.get(f"/rooms/{room.id}/challenge/goal/").content.decode()
    assert html.count('data-state="pending"') == 2


def test_a_wrong_fix_fails_on_every_seed_and_a_right_one_solves_it(visitor):
    room = start(visitor, f"challenge:{NAME}")
    challenge = challenges.load(NAME)
    wrong = challenge["knobs"][0]["choices"].index(
        {"value": "order.*", "label": "order.*"})
    html = visitor.post(f"/rooms/{room.id}/challenge/check/",
                        {"knob-binding": str(wrong)}).content.decode()
    assert 'data-solved="false"' in html
    assert "the goal holds on 0 of 6 seeds" in html
    assert challenges_web.solved_count(room.id) == 0
    right = [c["value"] for c in challenge["knobs"][0]["choices"]].index("order.created.*")
    html = visitor.post(f"/rooms/{room.id}/challenge/check/",
                        {"knob-binding": str(right)}).content.decode()
    assert 'data-solved="true"' in html
    assert "Changes used: <strong>1</strong> (par 1)" in html
    assert challenge["explanation"][:40] in html
    assert challenges_web.solved_count(room.id) == 1
    assert "<strong data-solved-count>1</strong>" in visitor.get(
        f"/rooms/{room.id}/challenge/solvers/").content.decode()


def test_a_value_out_of_range_is_refused_with_the_range(visitor):
    room = start(visitor, "challenge:sqs-visibility-timeout")
    html = visitor.post(f"/rooms/{room.id}/challenge/check/",
                        {"knob-visibility": "900"}).content.decode()
    assert "from 0 to 120" in html


def test_a_room_that_is_no_challenge_has_no_panel_and_no_check(visitor):
    room = start(visitor, "scenario:direct-routing")
    assert 'id="challenge"' not in visitor.get(f"/rooms/{room.id}/").content.decode()
    assert visitor.post(f"/rooms/{room.id}/challenge/check/", {}).status_code == 404


def test_watch_it_play_opens_a_room_with_the_fix_that_survives_a_restart(visitor):
    room = start(visitor, f"challenge:{NAME}")
    challenge = challenges.load(NAME)
    right = [c["value"] for c in challenge["knobs"][0]["choices"]].index("order.created.*")
    response = visitor.post(f"/rooms/{room.id}/challenge/watch/", {"knob-binding": str(right)})
    assert response.status_code == 204
    watched_id = response["HX-Redirect"].strip("/").split("/")[-1]
    watched = registry.get(watched_id)
    assert watched.preset.slug == f"challenge:{NAME}"
    assert watched.scenario_run.spec["rabbitmq"]["bindings"][0]["routing_key"] == \
        "order.created.*"
    page = visitor.get(f"/rooms/{watched_id}/").content.decode()
    assert "this room plays it: 1 change from the broken system" in page
    registry.clear()  # the server restarts: the room comes back from its record
    again = registry.get(watched_id)
    assert again.preset.spec["rabbitmq"]["bindings"][0]["routing_key"] == "order.created.*"


@pytest.mark.parametrize("slug", ["challenge:/etc/hostname", "challenge:../library/priorities",
                                  "challenge:"])
def test_a_room_slug_names_only_a_shipped_challenge_never_a_file(visitor, slug):
    response = visitor.post("/rooms/", {"preset": slug})
    assert response.status_code == 400
    assert "no challenge" in response.content.decode()
