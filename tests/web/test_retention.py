"""Rooms nobody used for the retention time are deleted; saved links stay while used."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from mqlab.models import RoomRecord, SavedScenario
from mqlab.retention import purge_unused
from mqlab.rooms import registry

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def room(age: timedelta) -> str:
    """A room's record, last used ``age`` ago, not running."""
    created = registry.create("rabbitmq-work-queue", "someone", 1)
    registry.clear()
    RoomRecord.objects.filter(id=created.id).update(updated=timezone.now() - age)
    return created.id


def saved(saved_id: str, created_age: timedelta, used_age: timedelta | None) -> str:
    now = timezone.now()
    SavedScenario.objects.create(id=saved_id, title="t", source="rabbitmq-work-queue",
                                 broker="rabbitmq", seed=1)
    SavedScenario.objects.filter(id=saved_id).update(
        created=now - created_age, used=None if used_age is None else now - used_age)
    return saved_id


def test_rooms_unused_for_the_retention_time_are_deleted(sync_rooms, settings):
    settings.MQLAB_ROOM_RETENTION_DAYS = 30
    room(31 * DAY)
    recent = room(29 * DAY)
    assert purge_unused() == 1
    assert list(RoomRecord.objects.values_list("id", flat=True)) == [recent]


def test_a_running_room_is_never_deleted(sync_rooms):
    running = registry.create("rabbitmq-work-queue", "someone", 1)
    RoomRecord.objects.filter(id=running.id).update(updated=timezone.now() - 90 * DAY)
    assert purge_unused() == 0
    assert RoomRecord.objects.filter(id=running.id).exists()


def test_saved_scenarios_stay_while_they_are_used(sync_rooms, settings):
    settings.MQLAB_SAVED_RETENTION_DAYS = 365
    saved("forgotten", 400 * DAY, None)
    saved("still-opened", 400 * DAY, 10 * DAY)
    saved("new", 10 * DAY, None)
    saved("opened-long-ago", 800 * DAY, 366 * DAY)
    assert purge_unused() == 2
    assert set(SavedScenario.objects.values_list("id", flat=True)) == {"still-opened", "new"}


def test_saved_retention_zero_keeps_saved_scenarios(sync_rooms, settings):
    settings.MQLAB_SAVED_RETENTION_DAYS = 0
    saved("ancient", 4000 * DAY, None)
    assert purge_unused() == 0


def test_showing_a_saved_link_marks_it_used(sync_rooms):
    saved("shared", 400 * DAY, None)
    assert Client().get("/scenarios/saved/shared/").status_code == 200
    used = SavedScenario.objects.get(id="shared").used
    assert used is not None and timezone.now() - used < timedelta(minutes=1)
    assert purge_unused() == 0


def test_the_purge_command_takes_the_age_in_days(sync_rooms):
    room(8 * DAY)
    room(6 * DAY)
    out = StringIO()
    call_command("purge_rooms", days=7, stdout=out)
    assert out.getvalue() == "purge_rooms: 1 deleted\n"
    assert RoomRecord.objects.count() == 1
