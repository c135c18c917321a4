"""How deeply user data may nest: mqlab's own bound, not a broker's.

Headers, arguments and message values can hold containers inside containers. Python's
``repr``, ``==`` and ``json`` walk them recursively, and a value nested a few hundred levels
deep raised RecursionError inside a timer, which broke the room's clock and every replay of
its log. The brokers document no depth (pika encodes AMQP tables recursively, RabbitMQ decodes
them recursively), so mqlab refuses more than ``MAX_NESTING`` levels where a value comes in.
The walk here is iterative, so the check itself cannot overflow, even on a value that
contains itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_NESTING = 16
NESTED = (dict, list, tuple, set, frozenset)


def containers(value: Any) -> Iterator[tuple[Any, int]]:
    """Every container in ``value`` (itself first) with its depth, 1 for ``value``. Stop
    when the depth passes your bound: a value that contains itself never ends."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, NESTED))


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Does ``value`` nest containers more than ``limit`` levels deep?"""
    if not isinstance(value, NESTED):
        return False
    return any(depth > limit for _, depth in containers(value))
