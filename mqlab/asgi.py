"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne)."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mqlab.settings")
# Django must be set up before anything imports models or consumers.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from mqlab.amqp.listener import started_with  # noqa: E402
from mqlab.rooms.registry import save_rooms_on_shutdown  # noqa: E402
from mqlab.routing import websocket_urlpatterns  # noqa: E402

save_rooms_on_shutdown()
# A room's work runs on worker threads: a thread that waits for the interpreter lock after a
# short I/O must not wait the default 5 ms behind a busy room each time (the convoy that
# makes one busy room slow every page load).
sys.setswitchinterval(0.001)

if settings.MQLAB_CLUSTER:  # a web process: requests about a room go to its worker
    from mqlab.cluster.web import ForwardRoomRequests

    django_asgi_app = ForwardRoomRequests(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The session tells a room's creator (who controls it) from its viewers.
        "websocket": AllowedHostsOriginValidator(
            SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
# Real clients' protocol listeners (AMQP, Kafka) drive rooms in this process, so they run only
# where rooms do: with one process for both roles. A cluster's web processes hold no room.
# Each starts with the server, or on a forked server's first request.
if not settings.MQLAB_CLUSTER:
    from mqlab.kafka import listener as kafka_listener

    kafka_listener.start_with_server()
    application = kafka_listener.started(started_with(application))
