"""The "why didn't it...?" endpoint: ``GET /rooms/<id>/why/?node=<node id>&message=<id>``.

Answers ``{"question", "answer", "message"}`` as JSON (``Room.why``); the inspector's queue,
consumer and partition panes ask it (``static/js/trace.js``). Each answer scans the room's
bounded history, so a browser may ask a few times a second and no more.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from mqlab.rooms import client_id
from mqlab.sharing import room_or_404
from mqlab.throttle import Buckets

#: node ids are "broker:kind:name"; names are bounded by the brokers well below this
MAX_NODE = 300
MAX_MESSAGE = 200

_asked = Buckets(5.0, 10.0)


@require_GET
def why_view(request: HttpRequest, room_id: str) -> JsonResponse:
    room = room_or_404(room_id)
    node = request.GET.get("node", "")
    message = request.GET.get("message") or None
    if not node or len(node) > MAX_NODE or node.count(":") < 2:
        return JsonResponse({"error": "node: give a node id such as rabbitmq:queue:billing"},
                            status=400)
    if message is not None and len(message) > MAX_MESSAGE:
        return JsonResponse({"error": f"message: an id of at most {MAX_MESSAGE} characters"},
                            status=400)
    if not _asked.take(client_id(request.session)):
        return JsonResponse({"error": "too many questions: wait a moment and ask again"},
                            status=429)
    return JsonResponse(room.why(node, message))
