"""Body templates: what each simulated message says.

A template is a Python format string over a few fields: ``{n}`` (the producer's message
number, from 1), ``{key}`` (the message's key, empty when none), ``{seq}`` (its number within
its key, from 1, so ordering per key is visible), ``{producer}`` (the producer's name) and
``{t}`` (the virtual send time). ``"order-{n} for {key}"`` gives ``"order-7 for key-2"``.
"""

from __future__ import annotations

import string

FIELDS = ("n", "key", "seq", "producer", "t")


def template_fields(template: str) -> list[str]:
    """The fields a template uses; raises ValueError on a malformed template."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def unknown_fields(template: str) -> list[str]:
    """Fields the template names that do not exist (empty when it is fine)."""
    return [name for name in template_fields(template) if name not in FIELDS]


def render(template: str, *, n: int, key: str | None, seq: int, producer: str, t: float) -> str:
    return template.format(n=n, key=key or "", seq=seq, producer=producer, t=f"{t:g}")
