"""Challenge mode in the browser: the panel's context, the live goal, "Check my fix", and
how many of a room's viewers have solved it.

A challenge room is a scenario room (source ``challenge:<name>``) whose expectations are the
challenge's goal; the panel reads the goal's checks from the room's run like the scoreboard
does. "Check my fix" takes the knob values from the form and runs the goal headless over all
the challenge's seeds in a worker thread (never on the event loop, never in Django's one
thread for sync views), bounded by ``MQLAB_CHALLENGE_CHECK_SECONDS`` of wall time and by
``MQLAB_CHALLENGE_CHECKS`` checks at once. Who solved what is kept per room in this process
(the room's owner process, like the room itself): the presenter's panel shows the count.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from engine.errors import EngineError
from mqlab import quotas, scoreboard
from mqlab.rooms import Room, client_id
from mqlab.scenarios import ScenarioError
from mqlab.scenarios import challenge as challenges
from mqlab.sharing import room_or_404
from mqlab.walkthroughs import describe_claim

PREFIX = "challenge:"
_pool_state: tuple[int, ThreadPoolExecutor, threading.BoundedSemaphore] | None = None
_pool_lock = threading.Lock()
#: room id -> client ids that solved its challenge.
_solvers: dict[str, set[str]] = {}
_solvers_lock = threading.Lock()


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _pool() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore]:
    """The check workers and the slots that bound how many checks run at once (made again
    in a forked child: a pool's threads do not survive ``fork``)."""
    global _pool_state
    with _pool_lock:
        if _pool_state is None or _pool_state[0] != os.getpid():
            workers = int(_setting("MQLAB_CHALLENGE_CHECKS", 2))
            _pool_state = (os.getpid(),
                           ThreadPoolExecutor(workers, thread_name_prefix="challenge-check"),
                           threading.BoundedSemaphore(workers))
        return _pool_state[1], _pool_state[2]


def name_of(slug: str) -> str | None:
    return slug[len(PREFIX):] if slug.startswith(PREFIX) else None


def _challenge_of(room: Room) -> dict[str, Any]:
    name = name_of(room.preset.slug)
    if name is None:
        raise Http404("this room is not a challenge")
    return challenges.load(name)


def knob_rows(challenge: dict[str, Any],
              current: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each knob as a form control set to its ``current`` value (the broken one unless
    given), with the broken value beside it to count the changes."""
    broken = challenges.broken_values(challenge)
    rows = []
    for knob in challenge["knobs"]:
        value = (current or broken)[knob["id"]]
        row = {**knob, "value": value,
               "broken": json.dumps(broken[knob["id"]], sort_keys=True)}
        if knob["type"] == "choice":
            row["options"] = [{"index": i, "label": c["label"],
                               "json": json.dumps(c["value"], sort_keys=True),
                               "selected": challenges._same(c["value"], value)}
                              for i, c in enumerate(knob["choices"])]
        elif knob["type"] == "boolean":
            row["options"] = [{"index": "false", "label": "no", "json": "false",
                               "selected": not value},
                              {"index": "true", "label": "yes", "json": "true",
                               "selected": bool(value)}]
        else:
            row["step"] = knob.get("step", 1 if knob["type"] == "integer" else "any")
        rows.append(row)
    return rows


def goal_rows(room: Room) -> list[dict[str, Any]]:
    """The goal's checks as the room's run stands: pending until judged, then met or
    failed (the scoreboard's reading of the same expectations)."""
    board = scoreboard.scoreboard(room)
    rows = board["expectations"] if board else []
    for row in rows:
        row["state"] = "pending" if row["met"] is None else ("met" if row["met"] else "failed")
    return rows


def solved_count(room_id: str) -> int:
    with _solvers_lock:
        return len(_solvers.get(room_id, ()))


def panel(room: Room, is_owner: bool) -> dict[str, Any] | None:
    """The panel's context for a room's page, or None when the room is no challenge."""
    name = name_of(room.preset.slug)
    if name is None:
        return None
    challenge = challenges.load(name)
    current = challenges.values_in(challenge, room.preset.spec)  # type: ignore[union-attr]
    return {"name": name, "challenge": challenge, "knobs": knob_rows(challenge, current),
            "fixed": challenges.changes(challenge, current),
            "seeds": ", ".join(str(s) for s in challenge["seeds"]), "room_id": room.id,
            "goal": goal_rows(room), "is_owner": is_owner, "solved": solved_count(room.id),
            "viewers": room.viewers}


@require_GET
def goal_view(request: HttpRequest, room_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    _challenge_of(room)
    return render(request, "challenges/goal.html", {"goal": goal_rows(room),
                                                    "room_id": room.id})


@require_GET
def solvers_view(request: HttpRequest, room_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    _challenge_of(room)
    return render(request, "challenges/solvers.html",
                  {"room_id": room.id, "solved": solved_count(room.id),
                   "viewers": room.viewers})


def _form_values(challenge: dict[str, Any], post: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for knob in challenge["knobs"]:
        raw = post.get(f"knob-{knob['id']}")
        if raw is None or raw == "":
            continue
        if knob["type"] == "choice" and raw.isdigit():
            raw = json.dumps(knob["choices"][int(raw)]["value"]) \
                if int(raw) < len(knob["choices"]) else raw
        values[knob["id"]] = raw
    return values


def _check(challenge: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    try:
        report = challenges.check(challenge, values,
                                  float(_setting("MQLAB_CHALLENGE_CHECK_SECONDS", 20.0)))
    except (ScenarioError, ValueError) as error:
        return {"invalid": str(error)}
    except EngineError as error:
        return {"invalid": f"the broker refused it: [{error.code}] {error}"}
    return {"report": report.as_dict()}


def _rows(challenge: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per check of the goal, one cell per seed (None where it was not checked)."""
    rows = []
    for index, expectation in enumerate(challenge["goal"]):
        cells = [seed["checks"][index] if index < len(seed["checks"]) else None
                 for seed in report["seeds"]]
        rows.append({"claim": describe_claim(expectation, challenge["scenario"]),
                     "note": expectation.get("note", ""), "cells": cells})
    return rows


@require_POST
def watch_view(request: HttpRequest, room_id: str) -> HttpResponse:
    """A new room that plays the fix on the challenge's first seed (the goal live)."""
    room = room_or_404(room_id)
    challenge = _challenge_of(room)
    try:
        spec = challenges.apply(challenge, _form_values(challenge, request.POST))
    except (ScenarioError, ValueError) as error:
        return render(request, "challenges/result.html",
                      {"result": {"invalid": str(error)}, "challenge": challenge})
    try:
        watched = quotas.start_room(request, room.preset.slug, challenge["seeds"][0],
                                    spec=spec)
    except quotas.QuotaExceeded as error:
        return quotas.refused(request, error)
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("room", args=[watched.id])
    return response


@require_POST
async def check_view(request: HttpRequest, room_id: str) -> HttpResponse:
    room = await sync_to_async(room_or_404)(room_id)
    challenge = _challenge_of(room)
    client = await sync_to_async(client_id)(request.session)
    values = _form_values(challenge, request.POST)
    executor, slots = _pool()
    if not slots.acquire(blocking=False):
        result: dict[str, Any] = {"busy": True}
    else:
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                executor, _check, challenge, values)
        finally:
            slots.release()
    report = result.get("report")
    if report:
        report["met_seeds"] = sum(1 for seed in report["seeds"] if seed["ok"])
        report["rows"] = _rows(challenge, report)
    if report and report["ok"]:
        with _solvers_lock:
            _solvers.setdefault(room.id, set()).add(client)
    context = {"challenge": challenge, "name": challenge["name"], "result": result,
               "report": report,
               "under_par": bool(report) and report["changes"] <= challenge["par"]}
    return await sync_to_async(render)(request, "challenges/result.html", context)
