"""``GET /rooms/<id>/metrics.json``: a room's metrics history as the socket's full
``metrics`` frame (``mqlab.wire``), for scripts and notebooks."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from mqlab import wire
from mqlab.sharing import room_or_404


@require_GET
def metrics_json(request: HttpRequest, room_id: str) -> JsonResponse:
    room = room_or_404(room_id)
    nodes = request.GET.get("nodes")
    points = request.GET.get("points")
    try:
        count = None if points is None else int(points)
    except ValueError:
        count = points  # refused below with the rule it breaks
    try:
        frame = wire.metrics_request(None if nodes is None else nodes.split(","), count)
    except wire.WireError as error:
        return JsonResponse(wire.error(error.code, error.message, field=error.field),
                            status=400)
    return JsonResponse(room.metrics_frame(frame.nodes, frame.points))
