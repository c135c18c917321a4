"""Import benchmark: how checking a scenario file grows with the file.

``python manage.py bench_import --size 2000``

For each kind of pathological file (thousands of problems of one sort) it checks a file of
``size`` items and one of 4 × ``size``, through the import view, and prints the CPU time of
each, their ratio (about 4 when the checks are linear, 16 when quadratic), the reply's size
and the problems listed. A measurement, not a test: the test suite times nothing.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandParser
from django.test import Client, override_settings

from mqlab import scenarios


def _extra_properties(spec: dict[str, Any], n: int) -> None:
    """One consumer with ``n`` unknown properties: ``n`` schema problems."""
    spec["consumers"][0].update({f"x{i}": 1 for i in range(n)})


def _unknown_references(spec: dict[str, Any], n: int) -> None:
    """``n`` queues and ``n`` bindings to queues and an exchange that do not exist: each
    problem names what is defined, which used to be all ``n`` queues."""
    spec["rabbitmq"]["queues"] = [{"name": f"q{i}"} for i in range(n)]
    spec["rabbitmq"]["bindings"] = [{"queue": f"z{i}", "exchange": "nope"} for i in range(n)]


def _duplicate_names(spec: dict[str, Any], n: int) -> None:
    """``n`` consumers of the same name, and ``n`` expectations about unknown apps."""
    spec["consumers"] = [{"name": "c", "broker": "rabbitmq", "queue": "fair"}
                         for _ in range(n)]
    spec["expect"] = [{"metric": "received", "of": f"a{i}", "op": ">", "value": 0}
                      for i in range(n)]


KINDS: dict[str, Callable[[dict[str, Any], int], None]] = {
    "extra-properties": _extra_properties, "unknown-references": _unknown_references,
    "duplicate-names": _duplicate_names}


def pathological_scenario(kind: str, n: int) -> bytes:
    """A scenario file with thousands of problems of one ``kind``, as uploaded bytes."""
    spec = copy.deepcopy(scenarios.load("work-queue-prefetch"))
    KINDS[kind](spec, n)
    return json.dumps(spec).encode()


def timed_import(raw: bytes) -> tuple[float, int, int]:
    """CPU seconds of one import of ``raw``, the reply's bytes, the problems listed."""
    client = Client()
    started = time.process_time()
    with override_settings(MQLAB_MAX_IMPORT_BYTES=len(raw) + 1,  # measure, not refuse
                           ALLOWED_HOSTS=["testserver"]):
        reply = client.post("/scenarios/import/",
                            {"file": SimpleUploadedFile("bench.json", raw)})
    return time.process_time() - started, len(reply.content), reply.content.count(b"<li data-path")


class Command(BaseCommand):
    help = "Time the import checks on a file of N and of 4N pathological items."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=2000, help="items in the small file")

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["size"]
        for kind in KINDS:
            small, large = (pathological_scenario(kind, size) for size in (n, 4 * n))
            (t1, _, _), (t4, reply, listed) = timed_import(small), timed_import(large)
            self.stdout.write(
                f"{kind}: {len(small) // 1024} KiB {t1:.3f} s, {len(large) // 1024} KiB "
                f"{t4:.3f} s, ratio {t4 / max(t1, 1e-9):.1f}; reply {reply} bytes, "
                f"{listed} problems listed")
