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
    #: The source's slug: a preset, ``scenario:<name>``, ``walkthrough:<name>``, ``imported:..``.
    preset = models.CharField(max_length=64)
    seed = models.BigIntegerField()
    #: The creator's client id (kept in their session); they control the room.
    owner = models.CharField(max_length=64)
    free_play = models.BooleanField(default=False)
    #: The secret that real clients sign their requests with (SigV4's secret key for the
    #: room's SQS endpoint); only the controller is shown it. Blank in rooms made before it
    #: existed: such a room gets one when it is next loaded and saved.
    token = models.CharField(max_length=64, blank=True, default="")
    speed = models.FloatField(default=1.0)
    paused = models.BooleanField(default=False)
    #: Virtual time when last saved: a restart replays the log, then advances to it.
    now = models.FloatField(default=0.0)
    #: ``[[at, command, args], ...]``: every command since the preset (or the last reset).
    log = models.JSONField(default=list)
    #: The scenario of a room started from an imported or saved scenario file (a library
    #: scenario or walkthrough is found again by its name in ``preset``).
    scenario = models.JSONField(null=True, blank=True)
    #: A walkthrough room's step: ``{"index": i, "done": bool}``.
    guide = models.JSONField(null=True, blank=True)
    #: Time travel (``mqlab.rooms.history``): the current branch's name, end, cursor and
    #: markers, and the other branches with their logs. Null in rooms made before it.
    timeline = models.JSONField(null=True, blank=True)
    #: The IP address that created the room: rooms per address per hour (mqlab/quotas.py).
    creator_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    #: Every save touches it: the purge (mqlab/retention.py) goes by it.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        # The quotas count a browser's and an address's rooms of the last hour.
        indexes = [models.Index(fields=["owner", "created"]),
                   models.Index(fields=["creator_address", "created"]),
                   models.Index(fields=["updated"])]

    def __str__(self) -> str:
        return f"room {self.id} ({self.preset})"


class SavedScenario(models.Model):
    """A room saved to be shared by URL: where it started (a source slug, and the scenario
    itself when no library holds it), its seed, the commands run by hand and the virtual time
    reached. Opening it starts a new room that replays all of that."""

    id = models.CharField(primary_key=True, max_length=32)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=64)
    broker = models.CharField(max_length=32)
    spec = models.JSONField(null=True, blank=True)
    seed = models.BigIntegerField()
    log = models.JSONField(default=list)
    now = models.FloatField(default=0.0)
    #: The room it was saved from (no foreign key: rooms are purged, saves stay), and who
    #: saved it: the save quotas (mqlab/quotas.py) count by them.
    room = models.CharField(max_length=32, blank=True, db_index=True)
    creator = models.CharField(max_length=64, blank=True)
    creator_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    #: When its page was last shown or it was last opened: the purge keeps what is used.
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["creator", "created"]),
                   models.Index(fields=["creator_address", "created"])]

    def __str__(self) -> str:
        return f"saved scenario {self.id} ({self.title})"


class CommandEntry(models.Model):
    """One command a room ran, written before the server answers it (an append-only
    journal): a crash loses nothing acknowledged. A save folds the entries into the room's
    ``RoomRecord.log`` and deletes them; a load replays the record's log, then these."""

    room_id = models.CharField(max_length=32)
    #: The command's place in the room's log (0-based).
    index = models.PositiveIntegerField()
    entry = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room_id", "index"],
                                               name="one_entry_per_log_place")]

    def __str__(self) -> str:
        return f"command {self.index} of room {self.room_id}"
