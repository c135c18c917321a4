"""Scenarios in and out of rooms: save a room, share it by URL, export and import JSON.

- Save: a room's definition (its source, the scenario when no library holds it, the seed,
  the commands run by hand and the virtual time reached) becomes a ``SavedScenario`` with a
  short id; ``/scenarios/saved/<id>/`` shows it and opens a new room that replays it exactly.
- Export: the scenario file of a room started from a scenario or walkthrough (the format of
  ``mqlab/scenarios/schema.json``), as a download. A preset room has no scenario file (its
  commands are not scenario actions): it is shared by saving it.
- Import: an uploaded scenario file is checked like ``manage.py simulate`` checks one, and
  every problem is shown with its JSON path; a valid file starts a room.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mqlab import quotas, scenarios, sources, wire
from mqlab.models import SavedScenario
from mqlab.rooms import Room, RoomNotFound, client_id, registry

Problem = tuple[str, str]
#: Characters shown of one problem's path or message: a file chooses its property names.
PROBLEM_CHARS = 300
#: Room for the multipart envelope around the file in a request's Content-Length.
ENVELOPE_BYTES = 16 * 1024


def max_import_bytes() -> int:
    """The largest scenario file accepted; the largest in the library is under 4 KiB."""
    return int(settings.MQLAB_MAX_IMPORT_BYTES)


def _see_other(url: str) -> HttpResponse:
    # 303: the browser follows with a GET, so a reload never repeats the POST.
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def room_or_404(room_id: str) -> Room:
    """The room, running or started again from its record; 404 naming it if neither."""
    try:
        return registry.get(room_id)
    except RoomNotFound as error:
        raise Http404(str(error)) from None


def room_scenario(room: Room) -> dict[str, Any] | None:
    """The scenario a room started from, or None for a preset room."""
    source = room.preset
    return source.spec if isinstance(source, sources.ScenarioSource) else None


def room_sharing(room: Room) -> dict[str, Any]:
    """What the room page's share menu needs."""
    source = room.preset
    spec = room_scenario(room)
    walkthrough = source.walkthrough if isinstance(source, sources.ScenarioSource) else None
    named = walkthrough.get("scenario") if walkthrough else None
    return {"exportable": spec is not None,
            "explanation": spec.get("explanation", "") if spec else "",
            "walkthrough": walkthrough is not None,
            # A walkthrough room takes no commands: its library scenario can be opened freely.
            "explore": f"scenario:{named}" if isinstance(named, str) else None,
            # A scenario may use several brokers; the page's title names only the first.
            "other_brokers": sources.brokers_of(spec)[1:] if spec else [],
            "default_title": default_title(room),
            # A playground's title is chosen when it is saved (from what was built by then).
            "title_on_save": room.preset.slug.endswith("-playground")}


def default_title(room: Room) -> str:
    """A saved room's title unless its saver gives one: a playground that has been built in
    is no longer an "Empty playground"."""
    title = room.preset.title
    if room.preset.slug.endswith("-playground") and room.log:
        broker = {"rabbitmq": "RabbitMQ", "kafka": "Kafka", "sqs": "SQS"}.get(
            room.preset.broker, room.preset.broker)
        return f"My {broker} playground ({len(room.log)} commands)"
    return title


def _download(spec: dict[str, Any], title: str) -> HttpResponse:
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "scenario"
    response = HttpResponse(json.dumps(spec, indent=2) + "\n",
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name[:60]}.json"'
    return response


def _no_file(what: str) -> HttpResponse:
    return HttpResponse(f"{what} started from a preset, whose commands are not scenario "
                        "actions: it has no scenario file. Save it to share it by URL.",
                        status=400, content_type="text/plain; charset=utf-8")


@require_GET
def export_room(request: HttpRequest, room_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    spec = room_scenario(room)
    if spec is None:
        return _no_file("This room")
    return _download(spec, spec["title"])


@require_POST
def save_room(request: HttpRequest, room_id: str) -> HttpResponse:
    """Any viewer may save a copy: it only reads the room. Saving the same state again
    gives the same link; new saves count against the save quotas."""
    room = room_or_404(room_id)
    definition = room.definition()
    source = room.preset
    fields = {"title": (request.POST.get("title") or "").strip()[:120] or default_title(room),
              "description": (request.POST.get("description") or "").strip()[:2000]
              or source.summary, "source": source.slug, "seed": definition["seed"],
              # The room as it is: after a seek back, not the branch's future.
              "log": definition["log"][:room.timeline.cursor], "now": definition["now"]}
    saved = _same_save(room.id, fields)
    if saved is None:
        client, address = client_id(request.session), quotas.client_address(request)
        try:
            quotas.check_save(room.id, client, address)
        except quotas.QuotaExceeded as error:
            return quotas.refused(request, error)
        saved = SavedScenario.objects.create(
            id=secrets.token_urlsafe(8), broker=source.broker, spec=room_scenario(room),
            room=room.id, creator=client, creator_address=address, **fields)
    return _see_other(reverse("saved-scenario", args=[saved.id]))


def _same_save(room_id: str, fields: dict[str, Any]) -> SavedScenario | None:
    """An earlier save of this room in this very state (a paused room saved twice)."""
    candidates = SavedScenario.objects.filter(room=room_id, now=fields["now"],
                                              seed=fields["seed"], title=fields["title"],
                                              description=fields["description"])
    return next((saved for saved in candidates if saved.log == fields["log"]), None)


def _saved(saved_id: str) -> SavedScenario:
    saved = SavedScenario.objects.filter(id=saved_id).first()
    if saved is None:
        raise Http404(f"no saved scenario {saved_id!r}")
    return saved


def _mark_used(saved: SavedScenario) -> None:
    """The purge (mqlab/retention.py) keeps a saved link while people use it; one write a
    day per link is enough for that."""
    now = timezone.now()
    if saved.used is None or now - saved.used > timedelta(days=1):
        SavedScenario.objects.filter(id=saved.id).update(used=now)


@require_GET
def saved_scenario(request: HttpRequest, saved_id: str) -> HttpResponse:
    saved = _saved(saved_id)
    _mark_used(saved)
    return render(request, "scenarios/saved.html", {
        "saved": saved, "share_url": request.build_absolute_uri(),
        "commands": len(saved.log)})


@require_GET
def export_saved(request: HttpRequest, saved_id: str) -> HttpResponse:
    saved = _saved(saved_id)
    spec = saved.spec
    if spec is None and not saved.source.startswith("imported:"):
        source = sources.find(saved.source)
        spec = getattr(source, "spec", None)
    if spec is None:
        return _no_file("This saved room")
    return _download(spec, saved.title)


@require_POST
def open_saved(request: HttpRequest, saved_id: str) -> HttpResponse:
    saved = _saved(saved_id)
    _mark_used(saved)
    try:
        room = quotas.start_room(request, saved.source, saved.seed, spec=saved.spec,
                                 log=saved.log, now=saved.now)
    except quotas.QuotaExceeded as error:
        return quotas.refused(request, error)
    except LookupError as error:  # a library entry renamed since it was saved
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    return _see_other(reverse("room", args=[room.id]))


# -- import ------------------------------------------------------------------------------------
def read_scenario_file(raw: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """An uploaded file -> the scenario, or every problem with its JSON path."""
    if len(raw) > max_import_bytes():
        return None, [_too_large(len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, [("$", f"not UTF-8 text (byte {error.start} cannot be decoded); save the"
                       " file as UTF-8")]
    try:
        data = wire.loads(text)
    except ValueError as error:
        return None, [("$", f"not valid JSON: {error}{_line_column(text, str(error))}")]
    problems = scenarios.problems_in(data)
    return (None, problems) if problems else (data, [])


def _too_large(size: int, what: str = "the file is") -> Problem:
    return ("$", f"{what} {size} bytes; a scenario file may have at most {max_import_bytes()}"
            " bytes")


def _line_column(text: str, message: str) -> str:
    """``wire.loads`` names the character; a person editing the file wants line and column."""
    match = re.search(r"at character (\d+)", message)
    if match is None:
        return ""
    position = int(match.group(1))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f" (line {line}, column {column})"


@require_http_methods(["GET", "POST"])
def import_scenario(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "scenarios/import.html", {})
    # Refused before Django parses the upload; a proxy in front should cap bodies too.
    length = _content_length(request)
    if length > max_import_bytes() + ENVELOPE_BYTES:
        return _import_failed(request, None, [_too_large(length, "the upload is")])
    upload = request.FILES.get("file")
    if upload is None:
        problems: list[Problem] = [("file", "choose a scenario file (.json) to upload")]
        return _import_failed(request, None, problems)
    spec, problems = read_scenario_file(upload.read(max_import_bytes() + 1))
    if spec is None:
        return _import_failed(request, upload.name, problems)
    try:
        room = quotas.start_room(request, sources.from_spec(spec).slug, spec=spec)
    except quotas.QuotaExceeded as error:
        return quotas.refused(request, error)
    return _see_other(reverse("room", args=[room.id]))


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # Django's upload parser refuses such a request itself
        return 0


def _import_failed(request: HttpRequest, name: str | None,
                   problems: list[Problem]) -> HttpResponse:
    """The first problems, each cut to a readable length, and how many more there are: a
    file can hold thousands, and the reply must stay small."""
    shown = int(settings.MQLAB_MAX_PROBLEMS)
    return render(request, "scenarios/import.html",
                  {"problems": [(_cut(path), _cut(message)) for path, message in problems[:shown]],
                   "problem_count": len(problems), "more": max(0, len(problems) - shown),
                   "file_name": name and _cut(name)}, status=400)


def _cut(text: str) -> str:
    return text if len(text) <= PROBLEM_CHARS else text[:PROBLEM_CHARS - 1] + "…"
