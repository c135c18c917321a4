"""WebSocket routes."""

from django.urls import path

from mqlab.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/rooms/<slug:room_id>/", RoomConsumer.as_asgi()),
]
