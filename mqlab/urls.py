from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from mqlab import scoreboard, sharing, views

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the app's own icon.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("rooms/", views.create_room, name="create-room"),
    path("rooms/<slug:room_id>/", views.room_page, name="room"),
    path("rooms/<slug:room_id>/controls/", views.controls, name="room-controls"),
    path("rooms/<slug:room_id>/save/", sharing.save_room, name="room-save"),
    path("rooms/<slug:room_id>/scoreboard/", scoreboard.scoreboard_view,
         name="room-scoreboard"),
    path("rooms/<slug:room_id>/scenario.json", sharing.export_room, name="room-export"),
    path("scenarios/import/", sharing.import_scenario, name="scenario-import"),
    path("scenarios/saved/<slug:saved_id>/", sharing.saved_scenario, name="saved-scenario"),
    path("scenarios/saved/<slug:saved_id>/open/", sharing.open_saved, name="saved-open"),
    path("scenarios/saved/<slug:saved_id>/scenario.json", sharing.export_saved,
         name="saved-export"),
    path("rooms/<slug:room_id>/commands/<slug:name>/", views.run_command, name="room-command"),
    # Kafka record ids hold a slash ("orders/0@5"), hence path rather than str.
    path("rooms/<slug:room_id>/messages/<path:message_id>/", views.message, name="room-message"),
]
