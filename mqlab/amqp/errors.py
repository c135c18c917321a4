"""How an AMQP connection ends: ``Closed`` (either side closed it, or the socket went away),
or ``ConnectionClose`` (a hard error: connection.close with RabbitMQ's reply code and text)."""

from __future__ import annotations

from typing import Any


class Closed(Exception):
    """The connection is over (closed by either side, or its socket went away)."""


class ConnectionClose(Exception):
    """A hard error: connection.close with ``code`` and ``text``, for the method ``about``."""

    def __init__(self, code: int, text: str, about: Any = None) -> None:
        super().__init__(text)
        self.code, self.text, self.about = code, text, about


def method_ids(about: Any) -> tuple[int, int]:
    """The class and method ids of the method a close is about (0, 0 for none)."""
    index = getattr(about, "index", None)
    if not isinstance(index, int) or isinstance(about, type):
        return 0, 0
    return index >> 16, index & 0xFFFF
