"""Helpers for tests that check scenario files: a good spec with one value changed."""

from __future__ import annotations

import copy
from typing import Any


def replaced(data: Any, path: list[str | int], value: Any) -> Any:
    """A deep copy of ``data`` with the value at ``path`` (keys and indexes) replaced."""
    data = copy.deepcopy(data)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data
