"""WebSocket routes."""

from django.conf import settings
from django.urls import path

from mqlab.consumers import RoomConsumer

if settings.MQLAB_CLUSTER:  # a web process: the room runs on a worker (mqlab.cluster)
    from mqlab.cluster.consumer import ClusterRoomConsumer as RoomConsumer  # noqa: F811

websocket_urlpatterns = [
    path("ws/rooms/<slug:room_id>/", RoomConsumer.as_asgi()),
]
