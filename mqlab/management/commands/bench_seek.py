"""Seek benchmark: how long a seek takes against how long the room has run.

``python manage.py bench_seek --minutes 1,5,10 --seeks 20``

For each length, builds a busy RabbitMQ room with no server (a producer publishing ``--rate``
messages a virtual second to three workers, and a command every 15 virtual seconds: a burst,
a crash, a consumer added back), runs it live for that many virtual minutes, then seeks it to
``--seeks`` instants drawn at random (seeded) over its whole history, and times each seek
(``Room.control(..., "seek", t)``: thaw the nearest checkpoint, replay the commands since,
run the clock to t). Beside it, in the same run, the baseline a room without checkpoints
would pay: rebuilding from zero (a new ``Room`` replaying the log up to t). Prints p50, p95
and the worst seek per length, the baseline's, and the checkpoints held. A measurement, not
a test: nothing is asserted. The target: every seek under 300 ms after ten busy minutes.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from mqlab.presets import find
from mqlab.rooms import Room

OWNER = "bench"
SETUP = [
    ("declare_queue", {"name": "jobs"}),
    *[("add_consumer", {"name": f"worker-{n}", "queue": "jobs", "prefetch": 5,
                        "processing_time": 0.05 * n}) for n in (1, 2, 3)],
]
#: One command every ``COMMAND_EVERY`` virtual seconds, in turn.
COMMAND_EVERY = 15.0
COMMANDS = [
    ("publish", {"routing_key": "jobs", "count": 20}),
    ("crash_consumer", {"consumer": "worker-3"}),
    ("add_consumer", {"name": "worker-3", "queue": "jobs", "prefetch": 5,
                      "processing_time": 0.15}),
]


def busy_room(minutes: float, rate: float) -> Room:
    """A room that ran ``minutes`` busy virtual minutes live, a second at a time."""
    room = Room("bench", find("rabbitmq-playground"), 1, OWNER)
    for name, args in [*SETUP, ("start_producer", {"name": "load", "routing_key": "jobs",
                                                   "rate": rate})]:
        _run(room, name, args)
    turn = 0
    while room.sim.now < minutes * 60:
        room.tick(1.0)
        if room.sim.now >= (turn + 1) * COMMAND_EVERY:
            _run(room, *COMMANDS[turn % len(COMMANDS)])
            turn += 1
    return room


def _run(room: Room, name: str, args: dict[str, Any]) -> None:
    outcome = room.run_command(OWNER, name, args)
    if not outcome.ok:
        raise CommandError(f"{name}: {outcome.message}")


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
            f"max {ordered[-1] * 1000:7.1f} ms")


class Command(BaseCommand):
    help = "Time seeks in busy rooms of several lengths, beside a full replay from zero."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--minutes", default="1,5,10",
                            help="room lengths in busy virtual minutes, comma-separated")
        parser.add_argument("--seeks", type=int, default=20)
        parser.add_argument("--baseline", type=int, default=3,
                            help="full replays from zero timed per length (they are slow)")
        parser.add_argument("--rate", type=float, default=40.0,
                            help="messages a virtual second the room's producer publishes")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            lengths = [float(part) for part in options["minutes"].split(",")]
        except ValueError as error:
            raise CommandError("--minutes takes numbers, e.g. 1,5,10") from error
        out = self.stdout
        out.write(f"bench_seek: {options['seeks']} seeks per room, producer at "
                  f"{options['rate']:g} msg/s, a command every {COMMAND_EVERY:g} s")
        # Live, every tick reaches its target: the room is as busy as asked, not budgeted.
        # Live, every tick reaches its target and no seek waits for the room's CPU share: the
        # room is as busy as asked, and what is timed is the seek's own work.
        with override_settings(MQLAB_ROOM_WORK_BUDGET_SECONDS=60.0, MQLAB_ROOM_CPU_SHARE=1.0,
                               MQLAB_ROOM_CPU_BURST_SECONDS=3600.0):
            for minutes in lengths:
                self._length(minutes, options)

    def _length(self, minutes: float, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        room = busy_room(minutes, options["rate"])
        built = time.perf_counter() - started
        end, events = room.sim.now, room.sim.seq
        rng = random.Random(options["seed"])
        targets = [round(rng.uniform(0, end), 3) for _ in range(options["seeks"])]
        seeks = [self._time(lambda at=at: room.control(OWNER, "seek", at)) for at in targets]
        replays = [self._time(lambda at=at: Room("replay", room.preset, room.seed, OWNER,
                                                 log=[e for e in room.log if e[0] <= at],
                                                 now=at))
                   for at in targets[:options["baseline"]]]
        store = room.timeline.current.checkpoints
        self.stdout.write(
            f"{minutes:g} busy virtual min ({events} events, "
            f"{len(room.log)} commands, built live in {built:.1f} s; "
            f"{len(store.items)} checkpoints, {store.bytes / 1e6:.1f} MB)\n"
            f"  seek:                  {_ms(seeks)}\n"
            f"  baseline, replay from zero: {_ms(replays)}")

    @staticmethod
    def _time(work: Any) -> float:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started
