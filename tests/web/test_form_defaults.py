"""Issue 11: in every preset, the forms that send and consume messages work as the page
fills them in. Each form is read from the rendered controls (its inputs, checked boxes,
selected options and textareas, as a browser submits them) and posted unchanged to its
form-post endpoint; the status must be green, with no warning. A required field for which
the room offers one value is never left blank."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from mqlab.presets import all_presets

#: The forms that put messages through the room, per broker: publish/send, a producer, a
#: consumer (and SQS's receive by hand). Forms acting on state that a preset need not have
#: (a transaction in progress, a receipt handle) are out of scope.
TRAFFIC = {
    "rabbitmq": ("publish", "start_producer", "add_consumer"),
    "kafka": ("produce", "start_producer", "add_consumer"),
    "sqs": ("send_message", "receive_message", "start_producer", "add_consumer"),
}
PRESETS = [p for p in all_presets() if not p.slug.endswith("-playground")]


class Forms(HTMLParser):
    """Every `form[data-command]` of a page as the fields a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.form: dict[str, str] | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "data-command" in a:
            self.form = self.forms.setdefault(a["data-command"], {})
        elif self.form is None or "name" not in a and tag != "option":
            return
        elif tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.form[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            self.form.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in a:
            self.form[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.form[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.form is not None and self.textarea:
            self.form[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


@pytest.mark.django_db
@pytest.mark.parametrize("preset", PRESETS, ids=[p.slug for p in PRESETS])
def test_every_presets_message_forms_succeed_with_what_the_page_fills_in(preset, sync_rooms):
    client = Client()
    created = client.post("/rooms/", {"preset": preset.slug})
    assert created.status_code == 303
    room = created["Location"]
    page = Forms()
    page.feed(client.get(room).content.decode())
    for command in TRAFFIC[preset.broker]:
        fields = page.forms[command]
        answer = client.post(f"{room}commands/{command}/", fields).content.decode()
        status = re.search(r'class="status ([^"]*)"', answer).group(1)
        assert status == "ok", (command, fields, answer)


@pytest.mark.django_db
@pytest.mark.parametrize("preset", PRESETS, ids=[p.slug for p in PRESETS])
def test_a_required_field_with_one_possible_value_starts_with_it(preset, sync_rooms):
    room = sync_rooms.create(preset.slug, "owner", 1)
    for group in room.command_groups():
        for command in group["commands"]:
            for field in command["fields"]:
                # Never blank: the one value, or a default of the form's own (a new
                # consumer's group may be a new group).
                if field["required"] and len(field["suggestions"]) == 1:
                    assert field["default"] != "", (command["name"], field)
