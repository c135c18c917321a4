"""Imports stay small and quick whatever the file: seeds fit the database, problems are
found in linear time and the reply lists only the first ones."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from engine.scenario import references
from mqlab import scenarios
from mqlab.management.commands.bench_import import KINDS, pathological_scenario
from mqlab.models import RoomRecord
from mqlab.sharing import max_import_bytes

pytestmark = pytest.mark.django_db
MAX_SEED = 2**63 - 1


def upload(content: bytes):
    return Client().post("/scenarios/import/", {"file": SimpleUploadedFile("f.json", content)})


def with_seed(seed: int) -> bytes:
    spec = scenarios.load("work-queue-prefetch")
    spec["seed"] = seed
    return json.dumps(spec).encode()


def test_a_seed_past_a_signed_64_bit_integer_is_a_problem_not_a_500(sync_rooms):
    response = upload(with_seed(MAX_SEED + 1))
    assert response.status_code == 400
    assert response.context["problems"] == [
        ("$.seed", f"{MAX_SEED + 1} must be <= {MAX_SEED}")]
    assert not RoomRecord.objects.exists()


def test_the_largest_seed_is_kept_exactly(sync_rooms):
    response = upload(with_seed(MAX_SEED))
    assert response.status_code == 303
    assert RoomRecord.objects.get().seed == MAX_SEED


def test_walkthroughs_bound_their_seed_the_same_way():
    schema = json.loads((scenarios.loader.HERE / "walkthrough.schema.json").read_text())
    assert schema["properties"]["seed"]["maximum"] == MAX_SEED


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_file_with_thousands_of_problems_gets_a_short_reply(kind):
    raw = pathological_scenario(kind, 1500)
    assert len(raw) <= max_import_bytes()
    found = scenarios.problems_in(json.loads(raw))
    assert len(found) >= 1500
    response = upload(raw)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("<li data-path") == 50
    assert f"{len(found)} problems" in html and f"and {len(found) - 50} more" in html
    assert len(response.content) < 64 * 1024


def test_an_unknown_name_lists_only_the_first_defined_names():
    spec = json.loads(pathological_scenario("unknown-references", 1000))
    path, message = scenarios.problems_in(spec)[0]
    assert message.endswith(f"'q{references.LISTED_NAMES - 1}' and 980 more")


def test_equal_problems_are_reported_once_in_order():
    spec = scenarios.load("work-queue-prefetch")
    spec["consumers"][0]["colour"] = "blue"
    spec["consumers"][0]["size"] = 1
    paths = [path for path, _ in scenarios.problems_in(spec)]
    assert paths == ["$.consumers[0].colour", "$.consumers[0].size"]


def test_an_upload_too_large_is_refused_from_its_length(settings):
    settings.MQLAB_MAX_IMPORT_BYTES = 1000
    response = upload(b" " * 40_000)
    assert response.status_code == 400
    assert re.fullmatch(r"the upload is \d+ bytes; a scenario file may have at most 1000 "
                        r"bytes", response.context["problems"][0][1])


def test_the_import_benchmark_runs():
    out = StringIO()
    call_command("bench_import", size=50, stdout=out)
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == list(KINDS)
