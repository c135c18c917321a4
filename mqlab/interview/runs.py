"""A lesson run headless, for a drill's answer: the scenario (or walkthrough) played to its end
at its own seed, summed up as the figures that matter and the facts it checks. Same seed, same
result, so each is computed once per process."""

from __future__ import annotations

from functools import cache
from typing import Any

from engine.scenario import Run, Walkthrough
from mqlab import scenarios
from mqlab.limits import room_limits

FIGURES = (("published", "published"), ("delivered", "delivered"),
           ("side_effects", "side effects"), ("duplicates", "duplicated"), ("lost", "lost"),
           ("dead_lettered", "dead-lettered"))


@cache
def headless(slug: str) -> dict[str, Any]:
    """Figures and checked facts for ``scenario:<name>`` or ``walkthrough:<name>``."""
    kind, _, name = slug.partition(":")
    if kind == "walkthrough":
        walkthrough, spec = scenarios.load_walkthrough(name)
        steps = Walkthrough(walkthrough, spec, None, []).play_all()
        facts = [(o.met, f"{r.step['title']}: {o.describe()}")
                 for r in steps for o in r.checkpoints]
        run = Run(spec, None, [], room_limits()).play(None)
    elif kind == "scenario":
        run = Run(scenarios.load(name), None, [], room_limits()).play(None)
        facts = [(o.met, o.describe()) for o in run.outcomes]
    else:
        raise LookupError(f"{slug!r} is neither a scenario nor a walkthrough")
    summary = run.summary
    consumers = [f"{cname}: received {c['received']}, duplicated {c['duplicates']}, "
                 f"lost {c['lost']}, failures {c['failures']}"
                 for cname, c in summary["consumers"].items()]
    return {"title": summary["title"], "seed": summary["seed"], "until": summary["until"],
            "figures": [(label, summary[key]) for key, label in FIGURES],
            "consumers": consumers, "facts": [{"met": met, "text": text} for met, text in facts]}
