"""Walkthroughs in a live room: the presenter runs a step, it plays at the room's pace and
stops exactly at its end, its checkpoints are judged, and every viewer receives each step
over the room's socket; back and replay rebuild the room identically."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from engine.scenario import Walkthrough
from mqlab import scenarios
from mqlab.models import RoomRecord
from mqlab.rooms import Room, registry
from mqlab.walkthroughs import describe_checkpoint
from tests.web.conftest import OWNER, VIEWER, connect, create_room

POISON = "walkthrough:poison-messages"


def walkthrough_room(sync_rooms, name: str = POISON) -> Room:
    return sync_rooms.create(name, OWNER)


def play_step(room: Room, wall_seconds: float = 0.25) -> list[str | None]:
    """Run the current step and tick the room until it ends, as the runner would."""
    assert room.walkthrough(OWNER, "run", None).ok
    return finish_step(room, wall_seconds)


def finish_step(room: Room, wall_seconds: float = 0.25) -> list[str | None]:
    said = []
    while room.guide.phase == "running":
        said.append(room.tick(wall_seconds))
    return said


def frame(room: Room) -> dict:
    return room.walkthrough_frame()


# -- the room, without sockets -------------------------------------------------------------------

@pytest.mark.django_db
def test_home_lists_walkthroughs_with_the_interview_questions_first(sync_rooms):
    cards = Client().get("/").context["walkthroughs"]
    assert [card["name"] for card in cards[:4]] == [
        "kafka-or-rabbitmq", "poison-messages", "exactly-once-processing", "why-use-a-queue"]
    assert {card["kind"] for card in cards[:4]} == {"interview"}
    assert {card["name"] for card in cards} == set(scenarios.walkthrough_names())


@pytest.mark.django_db
def test_a_walkthrough_room_waits_paused_at_the_first_step(sync_rooms):
    room = walkthrough_room(sync_rooms)
    state = frame(room)
    assert (state["type"], state["index"], state["phase"], room.paused) == (
        "walkthrough", 0, "ready", True)
    assert state["steps"] == ["Payments flow", "Retry, with backoff",
                              "Give up: the dead-letter queue"]
    # Before the step has run, only how many checkpoints: their targets give answers away.
    assert (state["step"]["checkpoints"], state["step"]["checkpoint_count"]) == ([], 2)
    # Playing the clock does not move past the step's start: only running the step does.
    room.paused = False
    room.tick(5.0)
    assert room.sim.now == 0.0


@pytest.mark.django_db
def test_a_checkpoint_on_a_shared_counter_names_the_counter_and_the_service(sync_rooms):
    # fair-fast and fair-slow share the ledger 'fair: tasks done' (one service), so "side
    # effects of fair-fast" counts both: the checkpoint must say so.
    room = walkthrough_room(sync_rooms, "walkthrough:work-queue")
    assert room.walkthrough(OWNER, "goto", 1).ok
    assert room.walkthrough(OWNER, "run", None).ok
    assert room.walkthrough(OWNER, "finish", None).ok
    texts = [c["text"] for c in frame(room)["step"]["checkpoints"]]
    assert texts[0] == ("fair-fast did its work exactly 20 times "
                        "(counter 'fair: tasks done', shared by fair-fast, fair-slow; "
                        "measured 20)")
    # a count of its own: nothing to add
    assert texts[2] == "fair-fast received exactly 17 messages (measured 17)"


def test_a_checkpoint_shows_its_note_after_the_measured_value():
    scenario = {"consumers": [{"name": "a", "side_effect": "mails"},
                              {"name": "b", "side_effect": "mails"}, {"name": "c"}]}
    checkpoint = {"metric": "duplicates", "of": "b", "op": "==", "value": 0,
                  "note": "the whole mail service"}
    assert describe_checkpoint(checkpoint, scenario, 0) == (
        "b never did the same work twice (counter 'mails', shared by a, b; measured 0): "
        "the whole mail service")
    assert describe_checkpoint({**checkpoint, "of": "c", "note": ""}, scenario) == (
        "c never did the same work twice")


def test_checkpoints_read_as_sentences():
    assert describe_checkpoint({"metric": "received", "of": "fraud-rabbit", "op": "==",
                                "value": 0}, {}) == "fraud-rabbit received nothing"
    assert describe_checkpoint({"metric": "lost", "of": "at-most-once", "op": ">",
                                "value": 0}, {}) == "at-most-once lost at least one message"
    assert describe_checkpoint({"metric": "depth", "of": "payments.dlq", "op": "==",
                                "value": 1}, {}) == (
        "payments.dlq holds exactly 1 message at the end")
    assert describe_checkpoint({"metric": "alerts", "op": ">=", "value": 1}, {}) == (
        "At least 1 alert raised")


@pytest.mark.django_db
def test_a_paced_step_stops_exactly_at_its_end_with_the_headless_checkpoints(sync_rooms):
    room = walkthrough_room(sync_rooms)
    said = play_step(room, wall_seconds=0.37)
    assert said[-1] == "clock walkthrough" and set(said[:-1]) == {None}
    assert room.sim.now == 5.3 and room.paused
    headless = Walkthrough(*scenarios.load_walkthrough("poison-messages"))
    first = headless.next()
    state = frame(room)
    assert state["phase"] == "done"
    assert [c["met"] for c in state["step"]["checkpoints"]] == [True, True]
    assert [c["text"] for c in state["step"]["checkpoints"]] == [
        f"charger did its work exactly 4 times (counter 'cards charged'; "
        f"measured {first.checkpoints[0].actual:g})",
        f"charger failed exactly 1 time (measured {first.checkpoints[1].actual:g})"]
    assert state["step"]["seen"]["total"] == len(first.events)
    # Ticking on does not leave the step's end.
    room.paused = False
    room.tick(3.0)
    assert room.sim.now == 5.3


@pytest.mark.django_db
def test_the_answer_and_reveal_are_sent_only_once_the_step_has_run(sync_rooms):
    room = walkthrough_room(sync_rooms)
    play_step(room)
    assert room.walkthrough(OWNER, "next", None).ok
    before = frame(room)["step"]
    assert before["predict"]["choices"][1] == "They are processed normally"
    assert (before["answer"], before["reveal"], before["seen"]) == (None, None, None)
    play_step(room)
    after = frame(room)["step"]
    assert after["answer"] == 1 and "nothing is blocked" in after["reveal"]
    kinds = {entry["kind"] for entry in after["seen"]["kinds"]}
    assert {"retry-scheduled", "processing-failed"} <= kinds
    assert all(checkpoint["met"] for checkpoint in after["checkpoints"])


@pytest.mark.django_db
def test_back_and_replay_rebuild_the_room_identically(sync_rooms):
    room = walkthrough_room(sync_rooms)
    play_step(room)
    room.walkthrough(OWNER, "next", None)
    play_step(room)
    at_step_two = room.sim.snapshot()
    assert room.walkthrough(OWNER, "back", None).ok
    assert (frame(room)["index"], frame(room)["phase"], room.sim.now) == (0, "ready", 0.0)
    play_step(room)
    room.walkthrough(OWNER, "next", None)
    assert room.walkthrough(OWNER, "replay", None).ok
    assert (frame(room)["index"], room.sim.now) == (1, 5.3)
    play_step(room)
    assert room.sim.snapshot() == at_step_two


@pytest.mark.django_db
def test_next_on_a_step_not_run_plays_it_at_once(sync_rooms):
    room = walkthrough_room(sync_rooms)
    assert room.walkthrough(OWNER, "next", None).ok
    assert (frame(room)["index"], room.sim.now, room.paused) == (1, 5.3, True)


@pytest.mark.django_db
def test_walkthrough_actions_that_do_not_apply_say_why(sync_rooms):
    room = walkthrough_room(sync_rooms)
    back = room.walkthrough(OWNER, "back", None)
    assert (back.ok, back.code, back.message) == (False, "bad-argument", "this is the first step")
    goto = room.walkthrough(OWNER, "goto", 7)
    assert goto.message == "goto needs a step number from 0 to 2; got 7"
    play_step(room)
    again = room.walkthrough(OWNER, "run", None)
    assert again.message == "this step has already run; use replay to see it again"
    assert room.walkthrough(OWNER, "goto", 2).ok
    last = room.walkthrough(OWNER, "next", None)
    assert last.message == "this is the last step; use back or replay"


@pytest.mark.django_db
def test_a_viewer_cannot_drive_and_commands_are_refused(sync_rooms):
    room = walkthrough_room(sync_rooms)
    refused = room.walkthrough(VIEWER, "run", None)
    assert (refused.ok, refused.code) == (False, "not-allowed")
    command = room.run_command(OWNER, "publish", {"routing_key": "payments", "body": "x"})
    assert (command.ok, command.code) == (False, "not-allowed")
    assert "walkthrough" in command.message
    assert frame(room)["phase"] == "ready"


@pytest.mark.django_db
def test_a_walkthrough_room_is_restored_from_its_record_at_its_step(sync_rooms):
    room = walkthrough_room(sync_rooms)
    play_step(room)
    room.walkthrough(OWNER, "next", None)
    room.walkthrough(OWNER, "run", None)
    room.tick(0.5)  # saved mid-step: restored with the step played to its end
    room.save()
    record = RoomRecord.objects.get(id=room.id)
    assert (record.preset, record.guide) == (POISON, {"index": 1, "done": True})
    again = Room.from_record(record)
    assert (frame(again)["index"], frame(again)["phase"], again.sim.now) == (1, "done", 8.8)
    finish_step(room, 1.0)
    assert again.sim.snapshot() == room.sim.snapshot()


@pytest.mark.django_db
def test_the_reset_control_goes_back_to_the_first_step(sync_rooms):
    room = walkthrough_room(sync_rooms)
    room.walkthrough(OWNER, "next", None)
    outcome = room.control(OWNER, "reset", None)
    assert outcome.ok and outcome.announce == "snapshot"
    assert (frame(room)["index"], room.sim.now) == (0, 0.0)


@pytest.mark.django_db
def test_play_runs_the_step_and_step_control_stops_at_its_end(sync_rooms):
    room = walkthrough_room(sync_rooms)
    played = room.control(OWNER, "resume", None)
    assert played.ok and played.announce == "clock walkthrough"
    assert frame(room)["phase"] == "running" and not room.paused
    stepped = []
    while room.guide.phase == "running":
        stepped.append(room.control(OWNER, "step", None))
    assert (stepped[-1].message, stepped[-1].announce) == (
        "the walkthrough step has ended", "clock walkthrough")
    assert (room.sim.now, frame(room)["phase"], room.paused) == (5.3, "done", True)
    assert room.control(OWNER, "step", None).message == (
        "a walkthrough's clock waits between steps: run the step")


# -- over the socket -------------------------------------------------------------------------------

async def settle(socket):
    """Receive until the socket has been quiet a moment; the last walkthrough frame."""
    last = None
    while not await socket.receive_nothing(timeout=0.3):
        frame = await socket.receive_json_from()
        last = frame if frame["type"] == "walkthrough" else last
    return last


async def next_frame(socket, kind, timeout=3.0):
    while True:
        received = await socket.receive_json_from(timeout=timeout)
        if received["type"] == kind:
            return received


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_viewer_receives_the_presenters_step(rooms):
    room = await create_room(POISON)
    presenter = await connect(room.id, OWNER)
    viewer = await connect(room.id, VIEWER)
    snapshot = await presenter.receive_json_from()
    assert snapshot["type"] == "snapshot" and snapshot["paused"] is True
    assert (await next_frame(presenter, "walkthrough"))["index"] == 0
    seen = await next_frame(viewer, "walkthrough")
    assert (seen["index"], seen["phase"]) == (0, "ready")
    # Each join tells the presenter how many are watching: let those frames pass.
    assert (await settle(presenter))["viewers"] == 2
    await settle(viewer)

    await presenter.send_json_to({"v": 1, "type": "control", "action": "speed", "value": 8})
    await presenter.send_json_to({"v": 1, "type": "walkthrough", "action": "run"})
    running = await next_frame(viewer, "walkthrough")
    assert (running["phase"], running["step"]["ends_at"]) == ("running", 5.3)
    done = await next_frame(viewer, "walkthrough", timeout=5.0)
    assert (done["phase"], done["now"]) == ("done", 5.3)
    assert [checkpoint["met"] for checkpoint in done["step"]["checkpoints"]] == [True, True]

    await presenter.send_json_to({"v": 1, "type": "walkthrough", "action": "next"})
    second = await next_frame(viewer, "walkthrough")
    assert (second["index"], second["step"]["title"]) == (1, "Retry, with backoff")

    await presenter.send_json_to({"v": 1, "type": "walkthrough", "action": "back"})
    assert (await next_frame(viewer, "snapshot"))["seq"] == room.sim.seq
    back = await next_frame(viewer, "walkthrough")
    assert (back["index"], back["phase"], back["now"]) == (0, "ready", 0.0)

    await viewer.send_json_to({"v": 1, "type": "walkthrough", "action": "next"})
    refused = await next_frame(viewer, "error")
    assert refused["code"] == "not-allowed"
    assert refused["message"] == "the presenter drives this walkthrough; you follow it"
    await presenter.disconnect()
    await viewer.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_bad_walkthrough_frames_get_an_error_and_the_socket_stays_open(rooms):
    room = await create_room(POISON)
    socket = await connect(room.id, OWNER)
    await next_frame(socket, "walkthrough")
    await socket.send_json_to({"v": 1, "type": "walkthrough", "action": "skip"})
    error = await next_frame(socket, "error")
    assert (error["code"], error["field"]) == ("bad-frame", "action")
    assert error["message"] == ("unknown walkthrough action 'skip'; use one of run, next, back, "
                                "replay, goto, finish, predict")
    await socket.send_json_to({"v": 1, "type": "walkthrough", "action": "goto", "value": "2"})
    error = await next_frame(socket, "error")
    assert error["message"] == "goto needs a step number from 0 to 2; got '2'"
    await socket.send_json_to({"v": 1, "type": "walkthrough", "action": "goto", "value": 2})
    assert (await next_frame(socket, "walkthrough"))["index"] == 2
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_room_without_a_walkthrough_says_so(rooms):
    room = await create_room("rabbitmq-work-queue")
    socket = await connect(room.id, OWNER)
    await socket.receive_json_from()
    await socket.send_json_to({"v": 1, "type": "walkthrough", "action": "run"})
    error = await next_frame(socket, "error")
    assert (error["code"], error["message"]) == ("not-found", "this room has no walkthrough")
    assert await database_sync_to_async(registry.get)(room.id) is room
    await socket.disconnect()


@pytest.mark.django_db
def test_a_walkthrough_room_offers_its_scenario_as_a_playground(sync_rooms):
    client = Client()
    response = client.post("/rooms/", {"preset": POISON})
    page = client.get(response["Location"])
    assert page.context["sharing"]["explore"] == "scenario:poison-message-retries"
    assert b'value="scenario:poison-message-retries"' in page.content
    assert page.context["sharing"]["walkthrough"] is True


@pytest.mark.django_db
def test_a_step_lists_what_the_scenario_does_to_the_system_during_it(sync_rooms):
    room = walkthrough_room(sync_rooms, "walkthrough:exactly-once-processing")
    assert frame(room)["step"]["actions"] == []
    room.walkthrough(OWNER, "next", None)
    assert frame(room)["step"]["actions"] == [
        "t=8.25s: crash (consumer at-most-once): mid-email: sent; auto-ack settled it on arrival",
        "t=8.25s: crash (consumer at-least-once)", "t=8.25s: crash (consumer effectively-once)"]
    play_step(room)
    room.walkthrough(OWNER, "next", None)
    assert frame(room)["step"]["actions"] == [
        "t=10s: restart (consumer at-most-once)", "t=10s: restart (consumer at-least-once)",
        "t=10s: restart (consumer effectively-once)"]
    late = walkthrough_room(sync_rooms, "walkthrough:kafka-or-rabbitmq")
    late.walkthrough(OWNER, "next", None)
    assert frame(late)["step"]["actions"] == [
        "t=15s: start-consumer (consumer fraud-rabbit)",
        "t=15s: start-consumer (consumer fraud-kafka)"]


@pytest.mark.django_db
def test_a_saved_walkthrough_room_opens_at_its_first_step(sync_rooms):
    client = Client()
    room = sync_rooms.get(client.post("/rooms/", {"preset": POISON})["Location"].split("/")[2])
    room.walkthrough(room.owner, "next", None)
    saved_url = client.post(f"/rooms/{room.id}/save/")["Location"]
    copy = sync_rooms.get(client.post(f"{saved_url}open/")["Location"].split("/")[2])
    assert (frame(copy)["index"], frame(copy)["phase"], copy.sim.now) == (0, "ready", 0.0)


@pytest.mark.django_db
def test_a_two_broker_walkthrough_names_its_second_broker(sync_rooms):
    client = Client()
    page = client.get(client.post("/rooms/", {"preset": "walkthrough:kafka-or-rabbitmq"})[
        "Location"])
    assert page.context["room"]["broker"] == "rabbitmq"
    assert page.context["sharing"]["other_brokers"] == ["kafka"]
    assert b"Also in this room:" in page.content


@pytest.mark.django_db
def test_the_presenter_fast_forwards_a_running_step_to_its_end(sync_rooms):
    room = walkthrough_room(sync_rooms)
    assert not room.walkthrough(OWNER, "finish", None).ok  # nothing is running yet
    assert room.walkthrough(OWNER, "run", None).ok
    outcome = room.walkthrough(OWNER, "finish", None)
    assert outcome.ok and outcome.announce == "clock walkthrough"
    state = frame(room)
    assert (state["phase"], room.sim.now, room.paused) == ("done", 5.3, True)
    assert [c["met"] for c in state["step"]["checkpoints"]] == [True, True]
    assert not room.walkthrough("someone-else", "finish", None).ok


@pytest.mark.django_db
def test_the_class_predictions_are_tallied_for_the_presenter_and_shown_to_all_at_the_reveal(
        sync_rooms):
    room = walkthrough_room(sync_rooms)
    assert room.walkthrough(OWNER, "next", None).ok  # step 2 asks a question
    assert room.walkthrough("viewer-1", "predict", {"choice": 1, "name": "Ana"}).ok
    assert room.walkthrough("viewer-2", "predict", 0).ok
    assert room.walkthrough("viewer-2", "predict", {"choice": 1}).ok  # a changed mind
    assert not room.walkthrough("viewer-3", "predict", 7).ok
    presenter = room.walkthrough_frame(OWNER)
    assert presenter["tally"] == {"shown": True, "answered": 2, "counts": [0, 2, 0],
                                  "names": [[], ["Ana"], []], "mine": None}
    viewer = room.walkthrough_frame("viewer-2")
    assert viewer["tally"] == {"shown": False, "answered": 2, "mine": 1}
    # Presenter notes go only to whoever controls the room.
    assert presenter["step"]["notes"] and viewer["step"]["notes"] is None
    assert room.walkthrough(OWNER, "run", None).ok and room.walkthrough(OWNER, "finish", None).ok
    assert room.walkthrough_frame("viewer-2")["tally"]["counts"] == [0, 2, 0]
    assert not room.walkthrough("viewer-1", "predict", 0).ok  # revealed: too late
