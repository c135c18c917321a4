"""Pages and htmx endpoints: presets on the home page, room creation, and command forms that
go through the same path as the socket, with errors shown in the form's status slot."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import resolve

from mqlab.models import RoomRecord
from mqlab.presets import all_presets

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(sync_rooms):
    return Client()


def start_room(client: Client, preset: str = "rabbitmq-work-queue") -> str:
    response = client.post("/rooms/", {"preset": preset})
    assert response.status_code == 303
    return response["Location"].strip("/").split("/")[-1]


def post_command(client: Client, room_id: str, command: str, **fields) -> str:
    response = client.post(f"/rooms/{room_id}/commands/{command}/", fields,
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_home_lists_every_preset_with_an_empty_playground_per_broker(owner):
    response = owner.get("/")
    presets = response.context["presets"]
    assert [p["slug"] for p in presets if p["broker"] == "rabbitmq"] == [
        "rabbitmq-work-queue", "rabbitmq-fanout", "rabbitmq-topic", "rabbitmq-dead-letter",
        "rabbitmq-playground"]
    brokers = {preset.broker for preset in all_presets()}
    assert {p["slug"] for p in presets} >= {f"{broker}-playground" for broker in brokers}
    assert b"Work queue" in response.content


def test_creating_a_room_records_it_and_redirects_with_see_other(owner):
    room_id = start_room(owner, "rabbitmq-topic")
    record = RoomRecord.objects.get(id=room_id)
    assert (record.broker, record.preset, record.log) == ("rabbitmq", "rabbitmq-topic", [])


def test_an_unknown_preset_is_a_400_naming_the_allowed_ones(owner):
    response = owner.post("/rooms/", {"preset": "kafka-magic"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "'kafka-magic'" in text and "rabbitmq-work-queue" in text


def test_room_page_gives_the_creator_control_and_the_commands(owner):
    room_id = start_room(owner)
    context = owner.get(f"/rooms/{room_id}/").context
    assert context["can_control"] is True
    assert context["ws_path"] == f"/ws/rooms/{room_id}/"
    assert context["room"]["preset"] == "rabbitmq-work-queue"
    groups = {group["name"]: group for group in context["command_groups"]}
    assert list(groups) == ["Messages", "Exchanges", "Queues", "Consumers", "Faults"]
    publish = groups["Messages"]["commands"][0]
    assert publish["name"] == "publish"
    fields = {field["name"]: field for field in publish["fields"]}
    assert fields["priority"]["kind"] == "int"
    crash = next(c for c in groups["Faults"]["commands"] if c["name"] == "crash_consumer")
    assert crash["fields"][0]["suggestions"] == ["worker-1", "worker-2", "worker-3"]


def test_another_browser_only_watches(owner):
    room_id = start_room(owner)
    assert Client().get(f"/rooms/{room_id}/").context["can_control"] is False


def test_under_free_play_a_watcher_drives_but_only_the_owner_holds_the_switch(owner):
    room_id = start_room(owner)
    watcher = Client()
    assert b"data-free-play" not in watcher.get(f"/rooms/{room_id}/").content
    from mqlab.rooms import registry
    registry.get(room_id).free_play = True
    page = watcher.get(f"/rooms/{room_id}/")
    assert (page.context["can_control"], page.context["is_owner"]) == (True, False)
    assert b"data-free-play" not in page.content
    assert b"data-free-play" in owner.get(f"/rooms/{room_id}/").content


def test_unknown_room_is_404(owner):
    assert owner.get("/rooms/nope/").status_code == 404


def test_form_post_runs_the_command_and_reports_success(owner, sync_rooms):
    room_id = start_room(owner)
    html = post_command(owner, room_id, "publish", exchange="", routing_key="tasks",
                        body="job", count="2", persistent="false", mandatory="false")
    assert 'id="status-publish"' in html and 'class="status ok"' in html
    assert "published 2 messages (m1 .. m2)" in html
    room = sync_rooms.running(room_id)
    assert room.log[0][1:] == ["publish", {
        "exchange": "", "routing_key": "tasks", "body": "job", "headers": None,
        "priority": None, "expiration": None, "persistent": False, "mandatory": False,
        "count": 2}]


def test_form_post_with_a_bad_value_names_the_field_in_the_status(owner):
    room_id = start_room(owner)
    html = post_command(owner, room_id, "add_consumer", name="w4", queue="tasks",
                        prefetch="-3")
    assert 'class="status error"' in html and 'data-field="prefetch"' in html
    assert "Prefetch must be at least 0; got -3" in html


def test_form_post_shows_the_brokers_error_next_to_the_control(owner):
    room_id = start_room(owner)
    html = post_command(owner, room_id, "bind", queue="tasks", exchange="missing")
    assert 'class="status error"' in html
    assert "NOT_FOUND - no exchange &#x27;missing&#x27;" in html


def test_form_post_from_a_viewer_is_refused(owner):
    room_id = start_room(owner)
    html = post_command(Client(), room_id, "publish", routing_key="tasks")
    assert "only its controller can send commands" in html


def test_controls_partial_lists_names_from_the_rooms_state(owner):
    room_id = start_room(owner)
    post_command(owner, room_id, "declare_exchange", name="audit-log", exchange_type="fanout")
    html = owner.get(f"/rooms/{room_id}/controls/").content.decode()
    assert html.lstrip().startswith('<div id="controls"')
    assert '<option value="audit-log">' in html


def test_message_inspector_shows_where_a_message_is_and_its_history(owner):
    room_id = start_room(owner)
    post_command(owner, room_id, "publish", routing_key="tasks", body="look at me")
    html = owner.get(f"/rooms/{room_id}/messages/m1/").content.decode()
    assert 'class="link" data-node-ref="rabbitmq:consumer:worker-1"' in html
    assert '"body": "look at me"' in html
    kinds = re.findall(r'<span class="log-kind">([a-z-]+)</span>', html)
    assert kinds == ["published", "enqueued", "delivered"]


def test_message_info_comes_from_the_rooms_event_history(owner, sync_rooms):
    room_id = start_room(owner)
    post_command(owner, room_id, "publish", routing_key="tasks", body="look at me")
    info = sync_rooms.running(room_id).message_info("m1")
    assert info["where"] == "rabbitmq:consumer:worker-1"
    assert info["summary"]["delivery_tag"] == 1
    assert [event["seq"] for event in info["events"]] == sorted(
        event["seq"] for event in info["events"])


def test_a_freed_room_answers_form_posts_after_replaying(owner, sync_rooms):
    room_id = start_room(owner)
    post_command(owner, room_id, "declare_queue", name="later")
    sync_rooms.running(room_id).save()
    sync_rooms.clear()
    html = post_command(owner, room_id, "bind", queue="later", exchange="amq.topic",
                        routing_key="#")
    assert "bound queue &#x27;later&#x27;" in html


def test_message_ids_with_a_slash_reach_the_inspector():
    match = resolve("/rooms/abc/messages/orders/0@5/")
    assert match.url_name == "room-message"
    assert match.kwargs == {"room_id": "abc", "message_id": "orders/0@5"}


def test_form_json_with_infinity_is_refused_naming_the_field(owner):
    room_id = start_room(owner)
    html = post_command(owner, room_id, "publish", routing_key="tasks",
                        headers='{"retry": Infinity}')
    assert 'data-field="headers"' in html and "Infinity is not JSON" in html


def test_a_room_whose_socket_never_connects_is_saved_and_freed_later(owner, sync_rooms,
                                                                     settings):
    settings.MQLAB_ROOM_IDLE_SECONDS = 0
    first = start_room(owner)
    post_command(owner, first, "declare_queue", name="kept")
    start_room(owner)  # any later visit sweeps the rooms nobody watches
    assert sync_rooms.running(first) is None
    assert RoomRecord.objects.get(id=first).log[0][1] == "declare_queue"


@pytest.mark.django_db
def test_a_saved_playground_is_not_called_empty_playground(client):
    from mqlab.presets import find
    from mqlab.rooms import Room
    from mqlab.sharing import default_title

    room = Room("p", find("rabbitmq-playground"), seed=1, owner="me")
    assert default_title(room) == "Empty playground"
    room.run_command("me", "declare_queue", {"name": "q"})
    assert default_title(room) == "My RabbitMQ playground (1 commands)"
