"""A room's durable record: its definition (``RoomRecord``) and an append-only journal of
the commands run since it was last saved (``CommandEntry``).

A command is written to the journal before its sender hears back, so kill -9 loses nothing
acknowledged; a save (periodic, on shutdown, when the room is freed) writes the whole
definition and folds the journal into it. Loading replays the record's log and then every
journal entry that follows it, and runs the clock to the later of the saved time and the
last command's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from mqlab.models import CommandEntry, RoomRecord


class DatabaseJournal:
    def __init__(self, room_id: str) -> None:
        self.room_id = room_id

    def append(self, index: int, entry: list[Any]) -> None:
        CommandEntry.objects.update_or_create(room_id=self.room_id, index=index,
                                              defaults={"entry": entry})

    def save(self, definition: dict[str, Any]) -> None:
        with transaction.atomic():
            RoomRecord.objects.update_or_create(id=self.room_id, defaults=definition)
            # Folded into the record's log now; what lies beyond it (a reset shortened the
            # log) belongs to a history the room no longer has.
            CommandEntry.objects.filter(room_id=self.room_id).delete()


def load(room_id: str) -> dict[str, Any] | None:
    """A saved room's fields with its journal applied (``log`` and ``now``), or None."""
    record = RoomRecord.objects.filter(id=room_id).first()
    if record is None:
        return None
    log = list(record.log)
    now = record.now
    entries = CommandEntry.objects.filter(room_id=room_id, index__gte=len(log))
    for entry in entries.order_by("index"):
        if entry.index != len(log):
            break  # a gap: what follows could not be replayed in its order
        log.append(entry.entry)
        now = max(now, _at(entry.entry))
    return {"record": record, "log": log, "now": now}


def _at(entry: Any) -> float:
    try:
        return float(entry[0])
    except (TypeError, ValueError, IndexError):
        return 0.0


def delete(room_id: str) -> None:
    CommandEntry.objects.filter(room_id=room_id).delete()
