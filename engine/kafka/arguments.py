"""Checks on what callers pass in, shared by the admin calls and the clients.

Kafka's Java API is typed; Python callers can pass anything, so each public call checks its
arguments first and raises a Kafka-named error that says what is allowed, before any state
changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .assignors import TopicPartition
from .errors import IllegalArgumentException


def is_whole(value: Any, lowest: int) -> bool:
    """An int (not a bool) of at least ``lowest``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= lowest


def whole(name: str, value: Any, lowest: int,
          error: type[Exception] = IllegalArgumentException) -> int:
    if not is_whole(value, lowest):
        raise error(f"{name}={value!r} is not allowed; give a whole number >= {lowest}")
    return value


def topic_partition(value: Any) -> TopicPartition:
    """A (topic, partition) argument checked and made a TopicPartition."""
    if isinstance(value, tuple | list) and len(value) == 2 and isinstance(value[0], str) \
            and is_whole(value[1], 0):
        return TopicPartition(value[0], value[1])
    raise IllegalArgumentException(
        f"{value!r} is not a partition; give a (topic, partition) pair like ('orders', 0)")


def as_list(value: Any, what: str) -> list[Any]:
    """The items of a list-like argument (a lone string is not a list here)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise IllegalArgumentException(f"{what} must be a list, not {value!r}")
    return list(value)
