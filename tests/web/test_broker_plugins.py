"""A broker joins the playground with one module in mqlab/commands/ defining ``KIT``: its
presets reach the home page, its commands the room page and the socket, with nothing else
changed. Shown with a toy broker module installed for the test."""

from __future__ import annotations

import sys
import types

import pytest
from django.test import Client

import mqlab.commands as registry_module
from mqlab.commands import BrokerKit, Command, Field, Preset
from mqlab.rooms import Room


class ToyLab:
    def __init__(self, sim):
        self.sim = sim
        self.rung = 0


def ring(lab: ToyLab, times: int) -> str:
    for _ in range(times):
        lab.rung += 1
        lab.sim.emit("published", "toy", message_id=f"b{lab.rung}", reason="ding")
    return f"rang {times} time(s)"


TOY = BrokerKit(
    broker="toy", new_lab=ToyLab,
    commands=(Command("ring", "Ring", "Bells", ring,
                      (Field("times", "Times", "int", default=1, minimum=1, maximum=3),)),),
    presets=(Preset("toy", "toy-chime", "Chime", "Rings once at the start.",
                    (("ring", {"times": 1}),)),))


@pytest.fixture
def toy_broker(monkeypatch, sync_rooms):
    module = types.ModuleType("mqlab.commands.toy")
    module.KIT = TOY
    monkeypatch.setitem(sys.modules, "mqlab.commands.toy", module)
    known = registry_module.brokers()
    monkeypatch.setattr(registry_module, "brokers", lambda: sorted([*known, "toy"]))
    registry_module.kit.cache_clear()
    yield
    registry_module.kit.cache_clear()


@pytest.mark.django_db
def test_a_broker_module_brings_its_presets_and_commands(toy_broker):
    client = Client()
    slugs = [preset["slug"] for preset in client.get("/").context["presets"]]
    assert slugs[-2:] == ["toy-chime", "toy-playground"]
    response = client.post("/rooms/", {"preset": "toy-chime"})
    room_id = response["Location"].strip("/").split("/")[-1]
    groups = client.get(f"/rooms/{room_id}/").context["command_groups"]
    assert groups == [{"name": "Bells", "commands": [{
        "name": "ring", "label": "Ring", "help": "", "danger": False, "fresh": False, "fields": [{
            "name": "times", "label": "Times", "kind": "int", "required": False,
            "default": 1, "choices": None, "suggestions": [], "help": "",
            "placeholder": ""}]}]}]
    html = client.post(f"/rooms/{room_id}/commands/ring/", {"times": "4"}).content.decode()
    assert "Times must be at most 3; got 4" in html


def test_a_toy_room_replays_its_log(toy_broker):
    room = Room("toy-room", TOY.presets[0], seed=1, owner="me")
    assert room.run_command("me", "ring", {"times": 2}).message == "rang 2 time(s)"
    again = Room("toy-room", TOY.presets[0], seed=1, owner="me", log=room.log, now=room.sim.now)
    assert list(again.history) == list(room.history)
    assert again.lab.rung == 3
