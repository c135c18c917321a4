"""Scenarios as rooms: started from the library, saved and shared by URL, exported as a
scenario file and imported from one, with every problem of a bad file named by its path."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from engine.scenario import Run
from mqlab import scenarios
from mqlab.models import RoomRecord, SavedScenario
from mqlab.rooms import Room, registry
from mqlab.sharing import max_import_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor(sync_rooms):
    return Client()


def room_of(response) -> Room:
    assert response.status_code == 303, response.content
    return registry.get(response["Location"].strip("/").split("/")[-1])


def start(client: Client, slug: str) -> Room:
    return room_of(client.post("/rooms/", {"preset": slug}))


def upload(client: Client, content: bytes, name: str = "mine.json"):
    return client.post("/scenarios/import/", {"file": SimpleUploadedFile(name, content)})


def problems(response) -> list[tuple[str, str]]:
    assert response.status_code == 400
    return response.context["problems"]


def test_home_lists_every_library_scenario_with_its_brokers(visitor):
    cards = visitor.get("/").context["scenarios"]
    assert [card["name"] for card in cards] == scenarios.library_names()
    by_name = {card["name"]: card for card in cards}
    assert by_name["kafka-replay"]["brokers"] == ["kafka"]
    assert by_name["sqs-dlq-redrive"]["brokers"] == ["sqs"]
    assert by_name["work-queue-prefetch"]["slug"] == "scenario:work-queue-prefetch"


def test_a_library_scenario_room_plays_the_scenario_with_its_own_seed(visitor):
    room = start(visitor, "scenario:delivery-guarantees")
    spec = scenarios.load("delivery-guarantees")
    assert room.seed == spec["seed"]
    assert room.describe()["title"] == spec["title"]
    # The room's simulation is the scenario's world: the same topology a headless run builds.
    headless = Run(spec, spec["seed"])
    assert room.sim.topology() == headless.sim.topology()
    record = RoomRecord.objects.get(id=room.id)
    assert (record.preset, record.scenario) == ("scenario:delivery-guarantees", None)


def test_a_scenario_room_paced_in_chunks_matches_the_headless_run(visitor):
    room = start(visitor, "scenario:poison-message-retries")
    events = []
    room.sim.subscribe(lambda event: events.append((event.seq, event.at, event.kind)))
    for _ in range(300):
        room.tick(0.1)
    headless = []
    run = Run(scenarios.load("poison-message-retries"),
              listeners=[lambda e: headless.append((e.seq, e.at, e.kind))])
    run.sim.advance(room.sim.now)
    assert events == [event for event in headless if event[0] > events[0][0] - 1]


def test_an_unknown_scenario_is_a_400_naming_the_library(visitor):
    response = visitor.post("/rooms/", {"preset": "scenario:no-such-thing"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "no scenario 'no-such-thing'" in text and "work-queue-prefetch" in text


def test_export_downloads_the_rooms_scenario_file(visitor):
    room = start(visitor, "scenario:kafka-replay")
    response = visitor.get(f"/rooms/{room.id}/scenario.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert json.loads(response.content) == scenarios.load("kafka-replay")


def test_a_preset_room_has_no_scenario_file_and_says_how_to_share_it(visitor):
    room = start(visitor, "rabbitmq-work-queue")
    response = visitor.get(f"/rooms/{room.id}/scenario.json")
    assert response.status_code == 400
    assert "Save it to share it by URL" in response.content.decode()


def test_an_imported_file_starts_a_room_that_rebuilds_from_its_record(visitor):
    spec = scenarios.load("work-queue-prefetch")
    spec["title"] = "My work queue"
    room = room_of(upload(visitor, json.dumps(spec).encode()))
    assert room.describe()["title"] == "My work queue"
    assert room.preset.slug == "imported:My work queue"
    room.tick(3.0)
    room.save()
    record = RoomRecord.objects.get(id=room.id)
    assert record.scenario == spec
    again = Room.from_record(record)
    assert again.sim.snapshot() == room.sim.snapshot()


def test_import_lists_every_problem_with_its_json_path(visitor):
    spec = scenarios.load("delivery-guarantees")
    spec["consumers"][0]["guarantee"] = "exactly-once"
    spec["duration"] = -5
    spec["colour"] = "blue"
    found = problems(upload(visitor, json.dumps(spec).encode()))
    assert found == scenarios.problems_in(spec)
    paths = [path for path, _ in found]
    assert {"$.consumers[0].guarantee", "$.duration", "$.colour"} <= set(paths)
    guarantee = dict(found)["$.consumers[0].guarantee"]
    assert "'exactly-once' is not allowed" in guarantee and "'effectively-once'" in guarantee
    page = upload(visitor, json.dumps(spec).encode()).content.decode()
    assert "$.consumers[0].guarantee" in page and f"{len(found)} problems" in page
    assert not RoomRecord.objects.exists()


def test_import_names_a_reference_to_a_queue_that_does_not_exist(visitor):
    spec = scenarios.load("work-queue-prefetch")
    spec["consumers"][0]["queue"] = "nowhere"
    found = problems(upload(visitor, json.dumps(spec).encode()))
    assert [path for path, _ in found] == ["$.consumers[0].queue"]
    assert "nowhere" in found[0][1]


def test_import_of_broken_json_gives_line_and_column(visitor):
    found = problems(upload(visitor, b'{\n  "title": "x",\n  "duration": ,\n}'))
    assert found == [("$", "not valid JSON: Expecting value at character 32 (line 3, "
                      "column 15)")]


def test_import_refuses_nan_which_browsers_cannot_read(visitor):
    spec = json.dumps(scenarios.load("work-queue-prefetch")).replace('"duration": 90',
                                                                     '"duration": NaN')
    found = problems(upload(visitor, spec.encode()))
    assert found[0][0] == "$" and "NaN is not JSON" in found[0][1]


def test_import_refuses_a_file_that_is_not_utf8(visitor):
    found = problems(upload(visitor, '{"title": "caf\u00e9"}'.encode("latin-1")))
    assert found == [("$", "not UTF-8 text (byte 14 cannot be decoded); save the file as "
                      "UTF-8")]


def test_import_refuses_a_file_too_large_before_parsing_it(visitor):
    limit = max_import_bytes()
    found = problems(upload(visitor, b" " * (limit + 10)))
    assert found == [("$", f"the file is {limit + 1} bytes; a scenario file may "
                      f"have at most {limit} bytes")]


def test_import_without_a_file_says_to_choose_one(visitor):
    found = problems(visitor.post("/scenarios/import/", {}))
    assert found == [("file", "choose a scenario file (.json) to upload")]


def test_import_of_a_json_array_says_what_a_scenario_is(visitor):
    found = problems(upload(visitor, b"[1, 2]"))
    assert found == [("$", "[1, 2] is not of type object")]


def test_a_saved_room_is_shared_by_url_and_replays_its_commands(visitor):
    room = start(visitor, "rabbitmq-work-queue")
    outcome = room.run_command(room.owner, "publish", {"exchange": "", "routing_key": "tasks",
                                                        "body": "hello", "count": "3"})
    assert outcome.ok, outcome.message
    room.tick(2.0)
    response = visitor.post(f"/rooms/{room.id}/save/", {"title": "Three tasks",
                                                         "description": "Watch them spread"})
    assert response.status_code == 303
    share_url = response["Location"]
    saved = SavedScenario.objects.get()
    assert share_url == f"/scenarios/saved/{saved.id}/"
    assert (saved.source, saved.seed, saved.log, saved.spec) == (
        "rabbitmq-work-queue", room.seed, room.log, None)

    # Someone else opens the link: a fresh room replays the same commands to the same state.
    friend = Client()
    page = friend.get(share_url)
    assert b"Three tasks" in page.content and b"Watch them spread" in page.content
    assert b"replays 1 command" in page.content
    copy = room_of(friend.post(f"{share_url}open/"))
    assert copy.id != room.id and copy.log == room.log
    assert copy.sim.snapshot() == room.sim.snapshot()
    # A preset room has no scenario file to download.
    assert friend.get(f"{share_url}scenario.json").status_code == 400


def test_a_saved_imported_scenario_exports_its_file(visitor):
    spec = scenarios.load("sqs-visibility-timeout")
    spec["title"] = "Visibility, mine"
    room = room_of(upload(visitor, json.dumps(spec).encode()))
    visitor.post(f"/rooms/{room.id}/save/", {"title": ""})
    saved = SavedScenario.objects.get()
    assert saved.title == "Visibility, mine"  # an empty title keeps the room's own
    response = Client().get(f"/scenarios/saved/{saved.id}/scenario.json")
    assert json.loads(response.content) == spec
    copy = room_of(Client().post(f"/scenarios/saved/{saved.id}/open/"))
    assert copy.preset.spec == spec


def test_an_unknown_saved_scenario_is_a_404(visitor):
    assert visitor.get("/scenarios/saved/nope/").status_code == 404


def test_the_scoreboard_shows_what_the_apps_did_and_judges_expectations_at_the_end(visitor):
    room = start(visitor, "scenario:delivery-guarantees")
    early = visitor.get(f"/rooms/{room.id}/scoreboard/").context["scoreboard"]
    assert [(c["name"], c["members"]) for c in early["consumers"]] == [
        ("emails sent (at-most-once)", ["at-most-once"]),
        ("emails sent (at-least-once)", ["at-least-once"]),
        ("emails sent (effectively-once)", ["effectively-once"])]
    assert {row["met"] for row in early["expectations"]} == {None}  # nothing final yet
    for _ in range(41):
        room.tick(1.0)
    board = visitor.get(f"/rooms/{room.id}/scoreboard/").context["scoreboard"]
    headless = Run(scenarios.load("delivery-guarantees")).play()
    consumers = {c["members"][0]: c for c in board["consumers"]}
    for name, expected in headless.summary["consumers"].items():
        assert (consumers[name]["duplicates"], consumers[name]["lost"]) == (
            expected["duplicates"], expected["lost"])
    assert [row["met"] for row in board["expectations"]] == [o.met for o in headless.outcomes]
    assert all(row["final"] for row in board["expectations"])


def test_a_preset_room_has_no_scoreboard(visitor):
    room = start(visitor, "rabbitmq-work-queue")
    response = visitor.get(f"/rooms/{room.id}/scoreboard/")
    assert response.context["scoreboard"] is None
    assert response.content.strip() == b""


def test_consumers_of_one_service_are_counted_once_on_the_scoreboard(visitor):
    room = start(visitor, "scenario:kafka-more-consumers-than-partitions")
    for _ in range(20):
        room.tick(1.0)
    rows = visitor.get(f"/rooms/{room.id}/scoreboard/").context["scoreboard"]["consumers"]
    summary = room.scenario_run.summary()["consumers"]
    assert len(rows) == 1 and rows[0]["members"] == list(summary)
    assert rows[0]["received"] == sum(c["received"] for c in summary.values())
    assert rows[0]["side_effects"] == room.scenario_run.measure("side_effects")


def test_the_scoreboard_says_whose_counter_a_claim_reads_and_shows_its_note(visitor):
    # w1..w4 are one service sharing the ledger 'jobs done': "side effects of w1" counts all
    room = start(visitor, "scenario:kafka-more-consumers-than-partitions")
    rows = visitor.get(f"/rooms/{room.id}/scoreboard/").context["scoreboard"]["expectations"]
    shared = [row for row in rows if row["text"].startswith("side effects of w1")]
    assert shared[0]["text"] == ("side effects of w1 == 150 "
                                 "[counter 'jobs done', shared by w1, w2, w3, w4]")
    room = start(visitor, "scenario:kafka-replay")
    response = visitor.get(f"/rooms/{room.id}/scoreboard/")
    notes = [row["note"] for row in response.context["scoreboard"]["expectations"]]
    assert "the new group reads all history" in notes
    assert "the new group reads all history" in response.content.decode()


def test_a_room_saved_after_a_seek_back_shares_the_moment_it_shows(visitor):
    room = start(visitor, "rabbitmq-work-queue")
    room.tick(1.0)
    assert room.run_command(room.owner, "publish", {"routing_key": "tasks", "count": "2"}).ok
    room.tick(3.0)
    assert room.run_command(room.owner, "crash_consumer", {"consumer": "worker-2"}).ok
    room.tick(2.0)
    assert room.control(room.owner, "seek", 2.5).ok
    visitor.post(f"/rooms/{room.id}/save/", {"title": "Before the crash"})
    saved = SavedScenario.objects.get()
    assert (saved.log, saved.now) == (room.log[:1], 2.5)
    copy = room_of(Client().post(f"/scenarios/saved/{saved.id}/open/"))
    assert copy.sim.snapshot() == room.sim.snapshot()
