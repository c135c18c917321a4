"""The scoreboard of a scenario room: what the simulated applications did, live.

A broker's diagram shows messages; the lessons of a scenario are in the applications around
it: how many emails were sent, how many twice (duplicates), how many orders were lost, how
many failures and retries. ``scoreboard(room)`` reads them from the scenario's
``engine.scenario.Run`` (the same measures ``manage.py simulate`` prints) together with the
scenario's expectations: a timed one is shown as judged at its time, the others as they stand
now and final once the scenario's duration has passed. The room page refreshes it with htmx.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from engine.scenario import Run
from engine.scenario.expectations import judge
from mqlab.rooms import Room
from mqlab.sharing import room_or_404
from mqlab.walkthroughs import describe_claim


def scoreboard(room: Room) -> dict[str, Any] | None:
    """Producers, consumers and expectations of a scenario room; None for a preset room."""
    run: Run | None = room.scenario_run
    if run is None:
        return None
    with room.lock:
        summary = run.summary()
        expectations = [] if room.guide is not None else _expectations(run)
        now = run.sim.now
    consumers = services(summary["consumers"])
    producers = [{"name": name, **values} for name, values in summary["producers"].items()]
    return {"now": now, "consumers": consumers, "producers": producers,
            "expectations": expectations, "lost": summary["lost"],
            "dead_lettered": summary["dead_lettered"]}


def services(consumers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per service: consumers sharing a side-effect label share one ledger (their
    side effects, duplicates and losses are the service's), so they are counted once."""
    rows: dict[str, dict[str, Any]] = {}
    for name, values in consumers.items():
        key = values["side_effect"] or name
        row = rows.get(key)
        if row is None:
            rows[key] = {**values, "name": key, "members": [name],
                         "guarantees": [values["guarantee"]]}
            continue
        row["members"].append(name)
        row["guarantees"] = sorted({*row["guarantees"], values["guarantee"]})
        row["received"] += values["received"]
        row["failures"] += values["failures"]
    return list(rows.values())


def _expectations(run: Run) -> list[dict[str, Any]]:
    judged = {id(outcome.expectation): outcome for outcome in run.checked}
    end = run.spec["duration"]
    rows = []
    for expectation in run.spec.get("expect", ()):
        text = describe_claim(expectation, run.spec)
        if "at" in expectation:
            outcome = judged.get(id(expectation))
            when = f"at t={expectation['at']:g}s"
            final = outcome is not None
        else:
            outcome = judge(expectation, run.measure(expectation["metric"],
                                                     expectation.get("of")))
            when = f"at the end (t={end:g}s)"
            final = run.sim.now >= end
        # Until it is final, a claim is only "so far": no verdict yet.
        rows.append({"text": text, "note": expectation.get("note", ""), "when": when,
                     "final": final,
                     "actual": None if outcome is None else outcome.actual,
                     "met": outcome.met if final and outcome is not None else None})
    return rows


@require_GET
def scoreboard_view(request: HttpRequest, room_id: str) -> HttpResponse:
    room = room_or_404(room_id)
    return render(request, "scenarios/scoreboard.html",
                  {"room": room.describe(), "scoreboard": scoreboard(room)})
