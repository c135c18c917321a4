"""Every page carries a Content-Security-Policy that allows no inline script or style, and
no page needs one: scripts are files, behaviour hangs off data- attributes."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mqlab.models import SavedScenario

pytestmark = pytest.mark.django_db

INLINE = [re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"),  # a script without src
          re.compile(r"<style\b"),
          re.compile(r"\sstyle\s*="),
          re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),  # onclick=, onload=...
          re.compile(r"javascript:", re.IGNORECASE)]


def pages(client: Client) -> list[str]:
    room = client.post("/rooms/", {"preset": "rabbitmq-work-queue"})["Location"]
    walkthrough = client.post("/rooms/", {"preset": "walkthrough:kafka-partitions"})["Location"]
    client.post(f"{room}save/", {"title": "t"})
    saved = SavedScenario.objects.get().id
    return ["/", room, f"{room}controls/", walkthrough, "/scenarios/import/",
            f"/scenarios/saved/{saved}/", "/rooms/nowhere/"]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_has_a_policy_without_unsafe_inline(sync_rooms):
    client = Client()
    for url in pages(client):
        response = client.get(url)
        directives = policy(response)
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert "'self'" in directives["connect-src"], url  # the room's WebSocket
        assert directives["frame-ancestors"] == ["'none'"], url


def test_no_page_has_inline_script_style_or_handlers(sync_rooms):
    client = Client()
    for url in pages(client):
        html = client.get(url).content.decode()
        for pattern in INLINE:
            assert not pattern.search(html), (url, pattern.pattern)


def test_htmx_is_told_not_to_inject_its_indicator_style(sync_rooms):
    html = Client().get("/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>' in html


def test_a_response_made_by_a_middleware_has_the_policy_too():
    response = Client(HTTP_HOST="not-an-allowed-host").get("/")
    assert response.status_code == 400
    assert policy(response)["script-src"] == ["'self'"]
