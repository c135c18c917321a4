from django.urls import path

from mqlab import views

urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/", views.create_room, name="create-room"),
    path("rooms/<slug:room_id>/", views.room_page, name="room"),
    path("rooms/<slug:room_id>/controls/", views.controls, name="room-controls"),
    path("rooms/<slug:room_id>/commands/<slug:name>/", views.run_command, name="room-command"),
    # Kafka record ids hold a slash ("orders/0@5"), hence path rather than str.
    path("rooms/<slug:room_id>/messages/<path:message_id>/", views.message, name="room-message"),
]
