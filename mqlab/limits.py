"""A room's budget from the settings: ``room_limits()`` is the ``engine.limits.Limits`` every
new room's simulation gets, and what imported scenarios are checked against.

Each field of ``Limits`` is the setting ``MQLAB_<FIELD>`` (``max_messages`` ->
``MQLAB_MAX_MESSAGES``), set from the environment in the "Room budgets" block of
``mqlab/settings.py``; a setting that is absent keeps the engine's default.
"""

from __future__ import annotations

from dataclasses import fields

from django.conf import settings

from engine.limits import DEFAULTS, Limits


def setting_name(field: str) -> str:
    return f"MQLAB_{field.upper()}"


def room_limits() -> Limits:
    """The budget of a room, as the settings say now (a bad value raises ValueError)."""
    return Limits(**{item.name: getattr(settings, setting_name(item.name),
                                        getattr(DEFAULTS, item.name))
                     for item in fields(Limits)})
