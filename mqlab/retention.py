"""Deleting what nobody uses any more, so the database does not grow for ever.

- A room's record (``RoomRecord``) goes once nobody has used the room for
  ``MQLAB_ROOM_RETENTION_DAYS`` (default 30): its ``updated`` time is refreshed by every save,
  and a room is saved while it runs and when it is freed, so a room someone opens or drives
  stays. A room running in this process is never deleted.
- A saved scenario is a link someone shared: it stays while people open it. It goes once it
  has been neither shown nor opened for ``MQLAB_SAVED_RETENTION_DAYS`` (default 365; 0 keeps
  saved scenarios for ever). It does not depend on its room: the copy holds all it needs.

``python manage.py purge_rooms`` runs it by hand or from cron; the room runtime may call
``purge_unused()`` as a periodic sweep (it is synchronous ORM code: from the event loop, use
``database_sync_to_async(purge_unused)()``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from mqlab.models import RoomRecord, SavedScenario
from mqlab.rooms import registry

logger = logging.getLogger(__name__)


def purge_unused(now: datetime | None = None, days: int | None = None,
                 saved_days: int | None = None) -> int:
    """Delete unused rooms and saved scenarios (the settings' ages unless given); how many
    rows went."""
    now = now or timezone.now()
    days = settings.MQLAB_ROOM_RETENTION_DAYS if days is None else days
    saved_days = settings.MQLAB_SAVED_RETENTION_DAYS if saved_days is None else saved_days
    rooms = _purge_rooms(now - timedelta(days=days))
    saved = _purge_saved(now - timedelta(days=saved_days)) if saved_days > 0 else 0
    if rooms or saved:
        logger.info("purged %d room(s) unused for %d days, %d saved scenario(s) unused for"
                    " %d days", rooms, days, saved, saved_days)
    return rooms + saved


def _purge_rooms(before: datetime) -> int:
    running = [room.id for room in registry]
    stale = RoomRecord.objects.filter(updated__lt=before).exclude(id__in=running)
    return stale.delete()[0]


def _purge_saved(before: datetime) -> int:
    last_use = Coalesce("used", "created")
    stale = SavedScenario.objects.alias(last_use=last_use).filter(last_use__lt=before)
    return stale.delete()[0]
