from django.urls import path

from mqlab import views

urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/", views.create_room, name="create-room"),
    path("rooms/<slug:room_id>/", views.room_page, name="room"),
    path("rooms/<slug:room_id>/controls/", views.controls, name="room-controls"),
    path("rooms/<slug:room_id>/commands/<slug:name>/", views.run_command, name="room-command"),
    path("rooms/<slug:room_id>/messages/<str:message_id>/", views.message, name="room-message"),
]
