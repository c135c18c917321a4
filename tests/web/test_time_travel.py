"""Time travel on a room (``mqlab.rooms.history``): a seek shows exactly what the live room
showed at that instant, playing on from a seek replays the same future, a command after a
seek back forks and keeps the old future as a branch, undo, branch switches, and all of it
survives the room being saved, freed and loaded again."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from mqlab import sources
from mqlab.models import RoomRecord
from mqlab.rooms import Room, history
from mqlab.rooms.journal import DatabaseJournal, load

OWNER = "owner"

WAIT = st.tuples(st.just("wait"), st.floats(0.05, 12.0))
COMMAND = st.one_of(
    st.tuples(st.just("publish"), st.fixed_dictionaries({
        "exchange": st.just(""), "routing_key": st.just("tasks"),
        "count": st.integers(1, 6)})),
    st.tuples(st.just("crash_consumer"), st.fixed_dictionaries({
        "consumer": st.sampled_from(["worker-1", "worker-2", "worker-3"])})),
    st.tuples(st.just("add_consumer"), st.fixed_dictionaries({
        "name": st.sampled_from(["worker-4", "worker-5"]), "queue": st.just("tasks"),
        "prefetch": st.integers(1, 3), "processing_time": st.floats(0.1, 3.0)})),
    st.tuples(st.just("stop_producer"), st.just({"producer": "task-api"})),
    st.tuples(st.just("publish_poison"), st.just({"exchange": "", "routing_key": "tasks"})),
)
LESSON = st.lists(st.one_of(WAIT, COMMAND), min_size=1, max_size=14)


@pytest.fixture(autouse=True)
def unbounded_work(settings, monkeypatch):
    """Every tick reaches its target, so "the live room at t" is a whole instant; live
    checkpoints go by virtual time alone (not also by the wall time they cost)."""
    settings.MQLAB_ROOM_WORK_BUDGET_SECONDS = 60.0
    settings.MQLAB_CHECKPOINT_EVERY_SECONDS = 5.0
    monkeypatch.setattr(history, "LIVE_SHARE", 1.0)


def new_room(**kwargs) -> Room:
    return Room("tt", sources.find("rabbitmq-work-queue", None), 11, OWNER, **kwargs)


def picture(room: Room) -> dict:
    snapshot = room.join(OWNER)[1]
    return {key: snapshot[key] for key in ("now", "seq", "topology", "contents")}


def play(room: Room, lesson) -> dict[float, dict]:
    """Run ``lesson`` live; the picture at each instant the clock stopped at."""
    seen = {room.sim.now: picture(room)}
    for name, args in lesson:
        if name == "wait":
            room.tick(args)
        else:
            room.run_command(OWNER, name, dict(args))
        seen[room.sim.now] = picture(room)  # the last picture of an instant counts
    return seen


def seek(room: Room, at: float):
    outcome = room.control(OWNER, "seek", at)
    assert outcome.ok, outcome.message
    return outcome


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow,
                                            HealthCheck.function_scoped_fixture])
@given(lesson=LESSON, data=st.data())
def test_a_seek_shows_what_the_live_room_showed_at_that_instant(lesson, data):
    room = new_room()
    seen = play(room, lesson)
    end = picture(room)
    instants = data.draw(st.lists(st.sampled_from(sorted(seen)), min_size=1, max_size=4))
    for at in instants:
        seek(room, at)
        assert picture(room) == seen[at]
        assert room.paused
    # Playing on from the first instant replays the same future, commands included.
    seek(room, instants[0])
    room.control(OWNER, "resume", None)
    room._play_to(end["now"], 60.0)  # a tick's now + wall x speed can miss it by a rounding
    assert picture(room) == end
    assert room.timeline_frame()["branches"] == ["main"]
    # A command there forks (if anything lay ahead of it); back on main, every instant is as
    # it was.
    seek(room, instants[0])
    behind = instants[0] < end["now"] or any(entry[0] > instants[0] for entry in room.log)
    room.run_command(OWNER, "publish", {"routing_key": "tasks", "body": "fork"})
    branches = room.timeline_frame()["branches"]
    assert branches == (["main", "branch 2"] if behind else ["main"])
    assert room.control(OWNER, "branch", "main").ok
    if not behind:
        return
    for at in instants:
        seek(room, at)
        assert picture(room) == seen[at]


@pytest.mark.django_db
def test_the_same_log_and_seed_give_the_same_snapshot_every_time():
    room = new_room()
    play(room, [("wait", 3.0), ("publish", {"routing_key": "tasks", "count": 9}),
                ("wait", 14.0), ("crash_consumer", {"consumer": "worker-1"}), ("wait", 9.0)])
    first = new_room(log=room.log, now=room.sim.now)
    seek(room, 8.5)
    seek(first, 8.5)
    again = new_room(log=room.log, now=room.sim.now)
    seek(again, 8.5)
    assert picture(room) == picture(first) == picture(again)
    assert picture(room)["now"] == 8.5


def test_a_command_after_seeking_back_forks_and_keeps_the_old_future():
    room = new_room()
    play(room, [("wait", 4.0), ("publish", {"routing_key": "tasks", "count": 3}),
                ("wait", 20.0)])
    old_end = picture(room)
    seek(room, 2.0)
    room.run_command(OWNER, "publish", {"routing_key": "tasks", "body": "fix", "count": 1})
    frame = room.timeline_frame()
    assert frame["branch"] == "branch 2" and frame["branches"] == ["main", "branch 2"]
    assert frame["forks"]["branch 2"]["at"] == 2.0 and frame["forks"]["main"]["end"] == 24.0
    assert [entry[0] for entry in room.log] == [2.0]  # the new branch's own history
    room.control(OWNER, "branch", "main")
    assert room.sim.now == 2.0 and [entry[0] for entry in room.log] == [4.0]
    seek(room, 24.0)
    assert picture(room) == old_end
    room.control(OWNER, "branch", "branch 2")
    assert room.timeline_frame()["branch"] == "branch 2" and room.log[0][2]["body"] == "fix"


def test_undo_goes_back_to_just_before_the_last_command_and_keeps_it_on_a_branch():
    room = new_room()
    play(room, [("wait", 2.0)])
    before = picture(room)
    play(room, [("crash_consumer", {"consumer": "worker-2"}), ("wait", 5.0)])
    outcome = room.control(OWNER, "undo", None)
    assert outcome.ok and "crash_consumer" in outcome.message
    assert picture(room) == before and room.log == []
    assert room.timeline_frame()["branches"] == ["main", "branch 2"]
    consumers = [n["id"] for n in picture(room)["topology"]["nodes"] if n["kind"] == "consumer"]
    assert "rabbitmq:consumer:worker-2" in consumers
    again = room.control(OWNER, "undo", None)
    assert not again.ok and again.code == "bad-argument"  # nothing left to undo here
    room.control(OWNER, "branch", "main")  # the crash is still there to return to
    assert room.log[0][1] == "crash_consumer"


def test_markers_note_crashes_once_however_often_the_room_replays_them():
    room = new_room()
    play(room, [("wait", 3.0), ("crash_consumer", {"consumer": "worker-1"}), ("wait", 4.0)])
    markers = room.timeline_frame()["markers"]
    assert [(m["at"], m["label"]) for m in markers] == [(3.0, "Crash consumer: worker-1")]
    seek(room, 1.0)
    room.control(OWNER, "resume", None)
    room.tick(6.0)
    assert room.timeline_frame()["markers"] == markers


def test_watchers_cannot_seek_fork_or_switch_branches():
    room = new_room()
    for action, value in (("seek", 0.0), ("branch", "main"), ("undo", None)):
        outcome = room.control("someone-else", action, value)
        assert not outcome.ok and outcome.code == "not-allowed"


def test_a_peek_looks_back_without_moving_the_room():
    room = new_room()
    play(room, [("wait", 2.0), ("publish", {"routing_key": "tasks", "count": 4})])
    at_two = picture(room)  # an instant shows what its commands did
    play(room, [("wait", 6.0)])
    now = picture(room)
    peeked = room.peek(2.0)
    assert peeked["peek"] is True and peeked["now"] == 2.0
    assert peeked["contents"] == at_two["contents"] and peeked["seq"] == at_two["seq"]
    assert picture(room) == now and room.history[-1].seq == now["seq"]


def test_checkpoints_stay_within_their_count_and_cover_the_whole_history(settings):
    settings.MQLAB_CHECKPOINTS_MAX = 6
    settings.MQLAB_CHECKPOINT_EVERY_SECONDS = 1.0
    room = new_room()
    play(room, [("wait", 1.0)] * 40)
    items = room.timeline.current.checkpoints.items
    assert len(items) == 6 and items[0].at == 0.0 and items[-1].at >= 35.0
    gaps = [b.at - a.at for a, b in zip(items, items[1:], strict=False)]
    assert max(gaps) <= 3 * min(gaps)  # thinned evenly, not all from one end
    seek(room, 17.5)
    assert picture(room)["now"] == 17.5


@pytest.mark.django_db
def test_branches_and_the_seek_position_survive_a_save_and_reload():
    room = new_room(journal=DatabaseJournal("tt"))
    play(room, [("wait", 3.0), ("publish", {"routing_key": "tasks", "count": 2}),
                ("wait", 10.0)])
    seek(room, 1.0)
    room.run_command(OWNER, "publish", {"routing_key": "tasks", "body": "b2"})
    play(room, [("wait", 2.0), ("publish", {"routing_key": "tasks", "body": "later"})])
    room.control(OWNER, "branch", "main")
    seek(room, 2.0)  # saved while behind: the future stays ahead
    expected = picture(room), room.timeline_frame()
    saved = load("tt")
    back = Room.from_record(saved["record"], log=saved["log"], now=saved["now"],
                            journal=DatabaseJournal("tt"))
    assert (picture(back), back.timeline_frame()) == expected
    back.control(OWNER, "resume", None)
    back.tick(11.0)
    assert back.sim.now == 13.0 and back.timeline.cursor == 1  # main's publish ran again
    back.control(OWNER, "branch", "branch 2")
    assert [entry[2]["body"] for entry in back.log] == ["b2", "later"]
    assert RoomRecord.objects.get(id="tt").timeline["name"] == "branch 2"


@pytest.mark.parametrize("source", [
    "scenario:kafka-consumer-group-rebalancing", "scenario:kafka-broker-failure",
    "scenario:sqs-dlq-redrive", "scenario:exactly-once-end-to-end",
    "scenario:poison-message-retries", "sqs-lambda-batches", "sns-fan-out", "sqs-outbox"])
def test_every_broker_and_scenario_world_seeks_back_exactly(source):
    """Checkpoints hold whole worlds: Kafka groups and replicas, SQS and SNS, Lambda
    pollers, scenario apps with their closures and random draws."""
    room = Room("tt", sources.find(source, None), 5, OWNER)
    seen = play(room, [("wait", 1.5)] * 24)
    for at in sorted(seen)[3::7]:
        seek(room, at)
        assert picture(room) == seen[at], f"{source} at t={at}"


def test_a_damaged_saved_timeline_still_opens_the_room():
    """The saved timeline comes from the database: what cannot be read is left out."""
    saved = {"name": "main", "end": "soon", "ahead": 99,
             "markers": [{"at": 1.0}, "x", {"at": 2.0, "last": 2.0, "kind": "alert", "node": "",
                                           "label": "alert", "count": 1, "seq": 3}],
             "others": [{"name": "b", "log": "nope", "end": 1.0}, {"name": "ok", "log": [],
                                                                   "end": 4.0}]}
    room = new_room(log=[], now=2.0, timeline=saved)
    frame = room.timeline_frame()
    assert frame["branches"] == ["main", "ok"] and frame["now"] == 2.0
    room.control(OWNER, "branch", "ok")
    assert room.timeline_frame()["branch"] == "ok"


def test_a_room_whose_state_cannot_be_copied_plays_on_and_says_why_it_cannot_travel():
    room = new_room()
    room.lab.unpicklable = (n for n in range(3))  # a generator: pickle refuses it
    room.timeline.current.checkpoints.items[1:] = []
    play(room, [("wait", 12.0)])  # a checkpoint falls due and fails
    assert room.sim.now == 12.0 and not room.paused
    outcome = room.control(OWNER, "seek", 1.0)
    assert not outcome.ok and "cannot be copied" in outcome.message
    assert room.peek(1.0)["type"] == "error"
