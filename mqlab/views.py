"""Pages and htmx endpoints. Commands posted here go through ``Room.run_command``, the same
path as the socket's; the room's runner streams what they caused to every viewer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from mqlab import quotas, sources
from mqlab.presets import all_presets
from mqlab.rooms import Outcome, Room, client_id
from mqlab.scoreboard import scoreboard
from mqlab.sharing import room_or_404, room_sharing
from mqlab.throttle import Buckets

#: Form fields that belong to Django, not to the command.
NOT_ARGUMENTS = {"csrfmiddlewaretoken"}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"presets": [p.describe() for p in all_presets()],
                                         "scenarios": sources.scenario_cards(),
                                         "walkthroughs": sources.walkthrough_cards()})


@require_POST
def create_room(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("preset", "")
    try:
        room = quotas.start_room(request, slug)
    except quotas.QuotaExceeded as error:
        return quotas.refused(request, error)
    except LookupError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    # 303 See Other: the browser follows with a GET, so a reload never creates another room.
    response = HttpResponse(status=303)
    response["Location"] = reverse("room", args=[room.id])
    return response


def _room_context(request: HttpRequest, room: Room) -> dict[str, Any]:
    client = client_id(request.session)
    # Only the owner hands control out and takes it back; a watcher under free play drives
    # the room but does not get the free-play switch.
    return {"room": room.describe(), "can_control": room.can_control(client),
            "is_owner": client is not None and client == room.owner,
            "ws_path": f"/ws/rooms/{room.id}/", "command_groups": room.command_groups(),
            "sharing": room_sharing(room), "scoreboard": scoreboard(room)}


@require_GET
def room_page(request: HttpRequest, room_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    return render(request, "room/room.html", _room_context(request, room))


@require_GET
def controls(request: HttpRequest, room_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    return render(request, "room/room.html#controls", _room_context(request, room))


#: Commands one browser may post per second (a token bucket, as for socket frames).
_posted = Buckets(getattr(settings, "MQLAB_SOCKET_FRAMES_PER_SECOND", 20.0),
                  getattr(settings, "MQLAB_SOCKET_FRAMES_BURST", 40.0))


@require_POST
def run_command(request: HttpRequest, room_id: str, name: str) -> HttpResponse:
    room = room_or_404(room_id)
    client = client_id(request.session)
    if not _posted.take(client):
        outcome = Outcome(False, "too many commands: wait a moment and send it again",
                          code="rate-limited")
    else:
        args = {key: request.POST.get(key) for key in request.POST
                if key not in NOT_ARGUMENTS}
        outcome = room.run_command(client, name, args)
    return render(request, "room/room.html#status", {"status": outcome.status(name)})


@require_GET
def message(request: HttpRequest, room_id: str, message_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    return render(request, "room/room.html#message", {"message": room.message_info(message_id)})
