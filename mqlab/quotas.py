"""Per-browser and per-address quotas on what costs the server: rooms and saves.

A stranger once made 1,000 rooms in 20 s, and 50 saves of one room in 2 s (the database grew
from 3 MB to 105 MB). Each limit is a setting (``MQLAB_*``, read from the environment in
settings.py); past it the request is refused with HTTP 429, a page that says which limit and
when to try again, and a ``Retry-After`` header.

- A browser is its client id (kept in its session cookie). Dropping the cookie gives a new
  one, so every per-browser limit has a per-address companion.
- The address is ``REMOTE_ADDR``: what daphne saw. Behind a reverse proxy that is the proxy,
  so with ``MQLAB_TRUSTED_PROXY=1`` it is the last entry of ``X-Forwarded-For`` (the one the
  proxy added; entries before it are whatever the client sent).
- Counts come from the rows the requests made (``RoomRecord``, ``SavedScenario``), over the
  last hour: nothing else to store, and they survive a restart. Concurrent requests can pass
  the check together, so a burst may overshoot by the number of requests in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mqlab.models import RoomRecord, SavedScenario
from mqlab.rooms import Room, client_id, registry

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class QuotaExceeded(Exception):
    """A limit was reached: ``message`` says which, for a person."""

    message: str
    retry_after: int  # seconds


def client_address(request: HttpRequest) -> str | None:
    if settings.TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def check_room_creation(client: str, address: str | None) -> None:
    """Raises QuotaExceeded when this browser or address made too many rooms this hour."""
    rooms = RoomRecord.objects.all()
    _within(rooms.filter(owner=client), settings.MQLAB_ROOMS_PER_CLIENT_HOUR,
            "rooms created by this browser")
    if address:
        _within(rooms.filter(creator_address=address), settings.MQLAB_ROOMS_PER_ADDRESS_HOUR,
                "rooms created from your network address")


def check_save(room_id: str, client: str, address: str | None) -> None:
    """Raises QuotaExceeded when the room has its saves, or this browser or address made too
    many this hour."""
    saves = SavedScenario.objects.all()
    limit = settings.MQLAB_SAVES_PER_ROOM
    if saves.filter(room=room_id).count() >= limit:
        raise QuotaExceeded(f"This room has been saved {limit} times, the most a room may be."
                            " Open one of its saved links, or start a new room.", 0)
    _within(saves.filter(creator=client), settings.MQLAB_SAVES_PER_CLIENT_HOUR,
            "saves by this browser")
    if address:
        _within(saves.filter(creator_address=address), settings.MQLAB_SAVES_PER_ADDRESS_HOUR,
                "saves from your network address")


def _within(rows: QuerySet[Any], limit: int, what: str) -> None:
    since = timezone.now() - WINDOW
    recent = rows.filter(created__gte=since)
    if recent.count() < limit:
        return
    # The oldest row of the window leaves it first: that is when one more is allowed.
    oldest = recent.order_by("created").values_list("created", flat=True)[0]
    wait = max(1, int((oldest + WINDOW - timezone.now()).total_seconds()) + 1)
    raise QuotaExceeded(f"Too many {what}: at most {limit} an hour. Try again in"
                        f" {_minutes(wait)}.", wait)


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def refused(request: HttpRequest, error: QuotaExceeded) -> HttpResponse:
    """HTTP 429 with a readable page (just its message for an htmx request)."""
    template = "limits/refused.html#refusal" if request.htmx else "limits/refused.html"
    response = render(request, template, {"message": error.message}, status=429)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def start_room(request: HttpRequest, slug: str, seed: int | None = None,
               **kwargs: Any) -> Room:
    """``registry.create`` for this request's browser, within the room quotas (raises
    QuotaExceeded, or LookupError for an unknown source); records the creator's address."""
    client, address = client_id(request.session), client_address(request)
    check_room_creation(client, address)
    room = registry.create(slug, client, seed, **kwargs)
    if address:
        # After the room saved its record: the room runtime does not know the request.
        RoomRecord.objects.filter(id=room.id).update(creator_address=address)
    return room
