"""Who a browser is: a stable id kept in its (signed-cookie) session."""

from __future__ import annotations

import secrets
from typing import Any

CLIENT_KEY = "mqlab_client"


def client_id(session: Any) -> str:
    """The browser's stable id, kept in its session (signed cookies have no session key)."""
    value = session.get(CLIENT_KEY)
    if not value:
        value = session[CLIENT_KEY] = secrets.token_urlsafe(12)
    return value
