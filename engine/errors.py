"""Typed errors raised by the engine.

Every error names the culprit and says what is allowed, so the web layer can show the message
as it is. A broker adds its own subclasses (with its own error code, e.g. RabbitMQ's
``NOT_FOUND`` reply code 404, Kafka's ``UnknownTopicOrPartitionException``, SQS's
``QueueDoesNotExist``). When an error is raised the engine's state is unchanged, unless the
real broker would close the channel, which the broker model then does and reports in an event.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises for bad input.

    ``code`` is the broker's own name for the error where it has one.
    """

    code = "EngineError"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidArgument(EngineError):
    code = "InvalidArgument"


class NotFound(EngineError):
    code = "NotFound"


class LimitReached(EngineError):
    """A room's cap (``engine/limits.py``) refuses a command that has no broker of its own to
    answer it, such as starting one more simulated app."""

    code = "LimitReached"
