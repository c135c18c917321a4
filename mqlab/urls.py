from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from mqlab import challenges_web, charts_web, scoreboard, sharing, sqs_api, views, why_web

urlpatterns = [
    path("", views.home, name="home"),
    path("interview/", include("mqlab.interview.urls")),
    # Browsers ask for /favicon.ico whatever the page links: send them to the app's own icon.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("rooms/", views.create_room, name="create-room"),
    path("rooms/<slug:room_id>/", views.room_page, name="room"),
    path("rooms/<slug:room_id>/controls/", views.controls, name="room-controls"),
    path("rooms/<slug:room_id>/save/", sharing.save_room, name="room-save"),
    path("rooms/<slug:room_id>/scoreboard/", scoreboard.scoreboard_view,
         name="room-scoreboard"),
    path("rooms/<slug:room_id>/connect.json", sqs_api.connect, name="room-connect"),
    # SDKs post to the endpoint with or without a final slash, and to queue URLs beneath it.
    re_path(r"^rooms/(?P<room_id>[-\w]+)/sqs(?:/(?P<rest>.*))?$", sqs_api.endpoint,
            name="room-sqs"),
    path("rooms/<slug:room_id>/scenario.json", sharing.export_room, name="room-export"),
    path("rooms/<slug:room_id>/metrics.json", charts_web.metrics_json, name="room-metrics"),
    path("rooms/<slug:room_id>/challenge/goal/", challenges_web.goal_view,
         name="challenge-goal"),
    path("rooms/<slug:room_id>/challenge/check/", challenges_web.check_view,
         name="challenge-check"),
    path("rooms/<slug:room_id>/challenge/watch/", challenges_web.watch_view,
         name="challenge-watch"),
    path("rooms/<slug:room_id>/challenge/solvers/", challenges_web.solvers_view,
         name="challenge-solvers"),
    path("scenarios/import/", sharing.import_scenario, name="scenario-import"),
    path("scenarios/saved/<slug:saved_id>/", sharing.saved_scenario, name="saved-scenario"),
    path("scenarios/saved/<slug:saved_id>/open/", sharing.open_saved, name="saved-open"),
    path("scenarios/saved/<slug:saved_id>/scenario.json", sharing.export_saved,
         name="saved-export"),
    path("rooms/<slug:room_id>/commands/<slug:name>/", views.run_command, name="room-command"),
    # Kafka record ids hold a slash ("orders/0@5"), hence path rather than str.
    path("rooms/<slug:room_id>/messages/<path:message_id>/", views.message, name="room-message"),
    path("rooms/<slug:room_id>/why/", why_web.why_view, name="room-why"),
]
