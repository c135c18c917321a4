"""The lesson a question or drill links to: a room source slug (``scenario:<name>``,
``walkthrough:<name>`` or a preset), opened by posting it to /rooms/ like the home page does."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from mqlab import sources


@cache
def lesson(slug: str) -> dict[str, str]:
    """What a link shows: its slug, kind and title. LookupError if no room can start from it."""
    source = sources.find(slug)
    kind = slug.partition(":")[0] if ":" in slug else "preset"
    return {"slug": slug, "kind": kind, "title": source.title, "broker": source.broker}


def check(slugs: Iterable[str]) -> list[str]:
    """The slugs among ``slugs`` that open nothing (empty when every link works)."""
    missing = []
    for slug in slugs:
        try:
            lesson(slug)
        except LookupError:
            missing.append(slug)
    return missing
