"""``manage.py roomworker``: run a room worker of a cluster (``mqlab.cluster.worker``).

Needs ``MQLAB_REDIS_URL`` (the channel layer and the leases) and the same database and
secret key as the web processes. Stops on SIGTERM or SIGINT, saving its rooms first.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a room worker: the rooms of a cluster of web processes (needs MQLAB_REDIS_URL)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--id", default=None,
                            help="the worker's id (default: host-pid-random)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError("a room worker needs Redis: set MQLAB_REDIS_URL, e.g. "
                               "redis://127.0.0.1:6379/0, for it and the web processes")
        from mqlab.cluster.worker import serve

        serve(options["id"])
