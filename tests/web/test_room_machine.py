"""A Hypothesis state machine over ``Room`` (issue 9): any mix of commands, clock frames,
controls, saves and reloads. No exception escapes the room, and a room reloaded from what a
save keeps (its log and virtual time) is the live room, event for event."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mqlab.rooms import Room
from mqlab.sources import find
from tests.web.test_room_stream import ACTIONS as RABBITMQ_ACTIONS
from tests.web.test_sqs_playground import ACTIONS as SQS_ACTIONS

OWNER = "owner"
ROOMS = {"rabbitmq-work-queue": RABBITMQ_ACTIONS, "sqs-dlq-redrive": SQS_ACTIONS}
CONTROLS = st.one_of(
    st.tuples(st.sampled_from(["pause", "resume", "step", "reset"]), st.none()),
    st.tuples(st.just("speed"), st.sampled_from([0.25, 1.0, 8.0])))


def reloaded(room: Room) -> Room:
    """What a restart builds from the room's saved definition."""
    saved = room.definition()
    return Room(room.id, room.preset, saved["seed"], saved["owner"], speed=saved["speed"],
                paused=saved["paused"], log=saved["log"], now=saved["now"])


class RoomMachine(RuleBasedStateMachine):
    @initialize(slug=st.sampled_from(sorted(ROOMS)), seed=st.integers(0, 2**31 - 1))
    def open_room(self, slug: str, seed: int) -> None:
        self.room = Room("machine", find(slug), seed, OWNER)
        self.room.viewers = 1  # batches are sealed as for a watched room
        self.actions = ROOMS[slug]

    @rule(data=st.data())
    def command(self, data: st.DataObject) -> None:
        name, args = data.draw(self.actions)
        if name == "wait":
            self.frame(args)
        elif name == "step":
            self.room.control(OWNER, "step", None)
        else:
            outcome = self.room.run_command(
                OWNER, name, {k: v for k, v in args.items() if v is not None})
            assert "simulator failed" not in outcome.message, outcome.message

    @rule(control=CONTROLS)
    def control(self, control: tuple[str, object]) -> None:
        action, value = control
        assert self.room.control(OWNER, action, value).ok

    @rule(wall=st.floats(0.0, 0.5))
    def frame(self, wall: float) -> None:
        # What a runner frame does, without its net: an exception here escapes to the test.
        self.room.tick(wall)
        self.room.take_batch()

    @rule()
    def save_and_reload(self) -> None:
        again = reloaded(self.room)
        assert again.notice is None
        assert again.sim.now == self.room.sim.now
        assert again.sim.snapshot() == self.room.sim.snapshot()
        assert again.join(OWNER)[1]["contents"] == self.room.join(OWNER)[1]["contents"]
        again.viewers = 1
        self.room = again  # and carry on from the reloaded room

    @invariant()
    def a_fresh_snapshot_can_always_be_taken(self) -> None:
        if hasattr(self, "room"):
            assert self.room.join(OWNER)[1]["seq"] == self.room.sim.seq


RoomMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_no_exception_escapes_a_room_and_a_reload_equals_the_live_room = RoomMachine.TestCase
