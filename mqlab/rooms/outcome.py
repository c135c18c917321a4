"""What a command or control action came to, as the room's callers report it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine import EngineError
from engine.errors import InvalidArgument, NotFound
from mqlab import wire


@dataclass(frozen=True)
class Outcome:
    """What a command or control action came to, for a result or error frame / status."""

    ok: bool
    message: str
    code: wire.ErrorCode | None = None
    field: str | None = None
    #: What the room's viewers must hear about: "clock", "control" or "snapshot".
    announce: str | None = None
    #: The command was accepted but did not do what it looks like it did (a publish no queue
    #: took): shown amber with why, never green.
    warning: str | None = None

    def status(self, command: str) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "field": self.field,
                "command": command, "warning": self.warning}


#: The engine's own codes for bad input: no broker's name for an error, so never shown.
_ENGINE_CODES = frozenset({EngineError.code, InvalidArgument.code, NotFound.code})


def engine_error_message(error: EngineError) -> str:
    """An engine error as the broker's client shows it, under the broker's own name for it
    ("NotEnoughReplicasException: ...", "QueueDoesNotExist: ..."), so a learner can look it
    up. RabbitMQ's reply text already starts with its code ("NOT_FOUND - no queue ...")."""
    if error.code in _ENGINE_CODES or error.message.startswith(error.code):
        return error.message
    return f"{error.code}: {error.message}"
