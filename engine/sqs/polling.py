"""Long polling in virtual time.

A synchronous ``receive_message`` cannot block: with WaitTimeSeconds > 0 it returns at once
with what is receivable now (it asks every server, like a long poll, so it never misses a
visible message), and an empty answer when there is nothing.

A simulated consumer that must wait uses ``sim.sqs.receive_message_async(callback, ...)``: the
request waits in the queue's line of long polls, and ``callback(response)`` runs, in virtual
time, as soon as a message becomes receivable (a send, a delay ending, a visibility timeout
expiring, a visibility set to 0, a dead-letter or redrive arrival), or when WaitTimeSeconds
ends, with an empty response ``{}`` (SQS Developer Guide, "Amazon SQS short and long polling":
a long poll "returns a response as soon as a message is available" and waits up to 20 s).
Waiting polls are served first come, first served. With a wait of 0 it is a short poll, answered
at the same instant. Deleting the queue answers its waiting polls with ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Response = dict[str, Any]


class Waiter:
    """One waiting long poll: ``attempt()`` tries a receive, ``finish(response)`` answers."""

    __slots__ = ("attempt", "respond", "timer")

    def __init__(self, attempt: Callable[[], Response], respond: Callable[[Response], Any]):
        self.attempt = attempt
        self.respond = respond
        self.timer: Any = None

    def finish(self, response: Response) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.respond(response)
