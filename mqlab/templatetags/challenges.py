"""``{% challenge_panel as panel %}`` on a room page, ``{% challenge_cards as cards %}`` on the
home page (``mqlab.challenges_web``)."""

from __future__ import annotations

from typing import Any

from django import template

from mqlab import challenges_web
from mqlab.scenarios import challenge

register = template.Library()


@register.simple_tag(takes_context=True)
def challenge_panel(context: Any) -> dict[str, Any] | None:
    room = context.get("room") or {}
    if not challenges_web.name_of(room.get("preset", "")):
        return None
    from mqlab.rooms import RoomNotFound, registry
    try:
        live = registry.get(room["id"])
    except RoomNotFound:
        return None
    return challenges_web.panel(live, bool(context.get("is_owner")))


@register.simple_tag
def challenge_cards() -> list[dict[str, Any]]:
    return [{**entry, "slug": f"challenge:{entry['name']}"} for entry in challenge.catalog()]
