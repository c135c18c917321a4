"""Key distributions: which key (routing key, Kafka record key, SQS FIFO group) each message
of a simulated producer carries.

* ``uniform``: every key equally likely.
* ``cycle``: the keys in turn (deterministic, handy to show ordering).
* ``hot``: one hot key takes ``share`` of the traffic, the rest spread uniformly: the skew
  that overloads one Kafka partition or one FIFO message group.

``keys`` is either a list of names or a count ``n`` meaning ``key-1`` .. ``key-n``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


def key_names(keys: list[str] | int) -> tuple[str, ...]:
    if isinstance(keys, int):
        return tuple(f"key-{i}" for i in range(1, keys + 1))
    return tuple(keys)


@dataclass
class KeyChooser:
    kind: str
    keys: tuple[str, ...]
    hot: str | None = None
    share: float = 0.0
    _turn: int = 0

    def choose(self, rng: random.Random) -> str:
        if self.kind == "cycle":
            key = self.keys[self._turn % len(self.keys)]
            self._turn += 1
            return key
        if self.kind == "hot" and rng.random() < self.share:
            return self.hot or self.keys[0]
        return self.keys[rng.randrange(len(self.keys))]


def keys_from_spec(spec: dict[str, Any] | None) -> KeyChooser | None:
    """None when the producer sends without a key."""
    if spec is None:
        return None
    keys = key_names(spec["keys"])
    return KeyChooser(spec["kind"], keys, spec.get("hot", keys[0]), spec.get("share", 0.0))
