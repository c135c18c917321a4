"""``python manage.py purge_rooms [--days 30] [--saved-days 365]``: delete rooms and saved
scenarios nobody has used for that long (mqlab/retention.py). Safe to run from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mqlab.retention import purge_unused


class Command(BaseCommand):
    help = "Delete rooms and saved scenarios unused for a number of days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help="room age (default: MQLAB_ROOM_RETENTION_DAYS, 30)")
        parser.add_argument("--saved-days", type=int, default=None,
                            help="saved scenario age; 0 keeps them (default: "
                                 "MQLAB_SAVED_RETENTION_DAYS, 365)")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_unused(days=options["days"], saved_days=options["saved_days"])
        self.stdout.write(f"purge_rooms: {deleted} deleted")
