"""What the database keeps of a room: enough to rebuild it exactly.

A running room lives in memory (mqlab/rooms.py). When it has been idle for a while it is
stopped and freed; its definition stays here: the preset, the seed, and the log of commands
applied with the virtual time of each. Replaying the log on a fresh simulation with the same
seed gives the same state (the engine is deterministic), so the room's URL starts it again.
"""

from __future__ import annotations

from django.db import models


class RoomRecord(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    broker = models.CharField(max_length=32)
    preset = models.CharField(max_length=64)
    seed = models.BigIntegerField()
    #: The creator's client id (kept in their session); they control the room.
    owner = models.CharField(max_length=64)
    free_play = models.BooleanField(default=False)
    speed = models.FloatField(default=1.0)
    paused = models.BooleanField(default=False)
    #: Virtual time when last saved: a restart replays the log, then advances to it.
    now = models.FloatField(default=0.0)
    #: ``[[at, command, args], ...]``: every command since the preset (or the last reset).
    log = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"room {self.id} ({self.preset})"
