"""Rooms and saves per browser, per address and per room: past a limit the request gets a
429 that says which limit and when to try again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from mqlab.models import RoomRecord, SavedScenario
from mqlab.quotas import client_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings, sync_rooms):
    settings.MQLAB_ROOMS_PER_CLIENT_HOUR = 3
    settings.MQLAB_ROOMS_PER_ADDRESS_HOUR = 5
    settings.MQLAB_SAVES_PER_ROOM = 3
    settings.MQLAB_SAVES_PER_CLIENT_HOUR = 4
    settings.MQLAB_SAVES_PER_ADDRESS_HOUR = 6
    return settings


def new_room(client: Client, **extra):
    return client.post("/rooms/", {"preset": "rabbitmq-work-queue"}, **extra)


def room_url(client: Client) -> str:
    response = new_room(client)
    assert response.status_code == 303
    return response["Location"]


def save(client: Client, room: str, title: str):
    return client.post(f"{room}save/", {"title": title})


def test_a_browser_past_its_rooms_an_hour_gets_a_429_page(limits):
    browser = Client()
    assert [new_room(browser).status_code for _ in range(4)] == [303, 303, 303, 429]
    refused = new_room(browser)
    assert refused.status_code == 429
    assert 3000 < int(refused["Retry-After"]) <= 3601
    html = refused.content.decode()
    assert "Too many rooms created by this browser: at most 3 an hour" in html
    assert "<h1>Limit reached</h1>" in html and "Try again in 60 minutes" in html
    assert RoomRecord.objects.count() == 3
    assert new_room(Client()).status_code == 303  # another browser at the same address


def test_rooms_older_than_an_hour_no_longer_count(limits):
    browser = Client()
    for _ in range(3):
        room_url(browser)
    RoomRecord.objects.update(created=timezone.now() - timedelta(hours=1, seconds=1))
    assert new_room(browser).status_code == 303


def test_an_address_past_its_rooms_an_hour_is_refused_whatever_the_cookie(limits):
    # A script that drops its cookie is a new browser every time, but not a new address.
    assert [new_room(Client()).status_code for _ in range(6)] == [303] * 5 + [429]
    assert set(RoomRecord.objects.values_list("creator_address", flat=True)) == {"127.0.0.1"}
    assert new_room(Client(), REMOTE_ADDR="10.0.0.9").status_code == 303


def test_opening_a_saved_link_and_importing_count_as_creating_rooms(limits):
    browser = Client()
    room = room_url(browser)
    saved = save(browser, room, "mine")["Location"]
    assert browser.post(f"{saved}open/").status_code == 303
    assert browser.post(f"{saved}open/").status_code == 303
    refused = browser.post(f"{saved}open/")
    assert refused.status_code == 429 and b"rooms created by this browser" in refused.content


def test_a_watcher_may_save_a_copy_and_the_same_state_saved_twice_is_one_link(limits):
    room = room_url(Client())
    watcher = Client()
    first = save(watcher, room, "as I saw it")
    assert first.status_code == 303
    assert save(watcher, room, "as I saw it")["Location"] == first["Location"]
    saved = SavedScenario.objects.get()
    assert (saved.room, saved.creator_address) == (room.strip("/").split("/")[-1], "127.0.0.1")


def test_a_room_saved_as_often_as_allowed_refuses_more_saves(limits):
    room = room_url(Client())
    statuses = [save(Client(), room, f"take {n}").status_code for n in range(4)]
    assert statuses == [303, 303, 303, 429]
    refused = save(Client(), room, "one more")
    assert b"This room has been saved 3 times, the most a room may be" in refused.content
    assert "Retry-After" not in refused  # waiting does not help


def test_a_browser_past_its_saves_an_hour_is_refused(limits):
    browser = Client()
    rooms = [room_url(browser), room_url(browser)]
    statuses = [save(browser, rooms[n % 2], f"take {n}").status_code for n in range(5)]
    assert statuses == [303] * 4 + [429]
    assert SavedScenario.objects.count() == 4


def test_an_htmx_request_gets_just_the_message(limits):
    browser = Client()
    for _ in range(3):
        room_url(browser)
    refused = new_room(browser, HTTP_HX_REQUEST="true")
    assert refused.status_code == 429
    html = refused.content.decode().strip()
    assert html.startswith('<p id="refusal"') and "<h1>" not in html


def test_the_address_is_remote_addr_unless_a_proxy_is_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.TRUSTED_PROXY = False
    assert client_address(request) == "10.0.0.1"
    settings.TRUSTED_PROXY = True
    # The proxy appends the address it saw; what comes before is the client's to invent.
    assert client_address(request) == "203.0.113.7"
