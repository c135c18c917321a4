"""Where a room starts from: a preset, a scenario, or a walkthrough.

A preset (``mqlab.presets``) is a list of playground commands applied to an empty
simulation. A scenario (``mqlab/scenarios``) is a whole world: topology, simulated producers
and consumers, and a timeline; ``engine.scenario.Run`` builds it on a fresh simulation and the
room's runner then paces that simulation like any other. A walkthrough is a scenario told
step by step: its room holds a ``Guide`` (``mqlab.walkthroughs``) that bounds the clock to
the end of the current step.

A room's source is named by a slug: ``<preset>``, ``scenario:<library name>``,
``walkthrough:<name>``, ``challenge:<name>`` (a challenge's broken system, its goal as the
expectations: ``mqlab.scenarios.challenge``), or ``imported:<title>`` for a scenario that
came from a file or the database (its spec is then stored with the room, since no library
holds it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from engine import Event, Simulation
from engine.scenario import Run
from mqlab import presets, scenarios
from mqlab.commands import Preset, brokers
from mqlab.limits import room_limits
from mqlab.walkthroughs import Guide

BROKER_SECTIONS = ("rabbitmq", "kafka", "sqs")
#: The interview questions first, in this order, then the patterns by name.
INTERVIEW_ORDER = ("kafka-or-rabbitmq", "poison-messages", "exactly-once-processing",
                   "why-use-a-queue")

Listener = Callable[[Event], Any]


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario (or walkthrough) as a room's starting point."""

    slug: str
    broker: str
    title: str
    summary: str
    spec: dict[str, Any] = field(hash=False, compare=False)
    walkthrough: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    #: No playground commands: the scenario builds its world itself.
    steps: tuple[tuple[str, dict[str, Any]], ...] = ()
    #: The spec is kept with the room (a challenge played with a learner's fix).
    stored: bool = field(default=False, compare=False)

    @property
    def seed(self) -> int:
        """The scenario's own seed: its explanation and expectations describe that run."""
        return int(self.spec.get("seed", 0))

    @property
    def imported(self) -> bool:
        return self.slug.startswith("imported:")

    def describe(self) -> dict[str, str]:
        return {"broker": self.broker, "slug": self.slug, "title": self.title,
                "summary": self.summary}

    def new_run(self, seed: int, listener: Listener) -> tuple[Run, Guide | None]:
        """The built world (its apps and metrics), and the walkthrough guide when this
        source is a walkthrough."""
        if self.walkthrough is not None:
            guide = Guide(self.walkthrough, self.spec, seed, listener)
            return guide.engine.run, guide
        return Run(self.spec, seed, [listener], room_limits()), None


Source = Preset | ScenarioSource


def brokers_of(spec: dict[str, Any]) -> list[str]:
    """The brokers a scenario uses, in the order rabbitmq, kafka, sqs."""
    used = {app.get("broker") for key in ("producers", "consumers") for app in spec.get(key, ())}
    used |= {name for name in BROKER_SECTIONS if name in spec}
    return [name for name in BROKER_SECTIONS if name in used and name in brokers()]


def from_spec(spec: dict[str, Any], slug: str | None = None,
              walkthrough: dict[str, Any] | None = None) -> ScenarioSource:
    """A source for a validated scenario spec (``imported:`` unless ``slug`` says otherwise).
    Its commands panel is its first broker's (a scenario may use several)."""
    used = brokers_of(spec) or ["rabbitmq"]
    title = walkthrough["title"] if walkthrough else spec["title"]
    summary = walkthrough["description"] if walkthrough else spec["description"]
    return ScenarioSource(slug or f"imported:{spec['title'][:48]}", used[0], title, summary,
                          spec, walkthrough)


@cache
def library_source(name: str) -> ScenarioSource:
    return from_spec(scenarios.load(name), f"scenario:{name}")


@cache
def walkthrough_source(name: str) -> ScenarioSource:
    walkthrough, spec = scenarios.load_walkthrough(name)
    return from_spec(spec, f"walkthrough:{name}", walkthrough)


@cache
def challenge_source(name: str) -> ScenarioSource:
    return _challenge(name, None, stored=False)


def _challenge(name: str, spec: dict[str, Any] | None, stored: bool) -> ScenarioSource:
    """A challenge's room source: its broken system, or (``stored``) a learner's fix of it.
    Only the shipped challenges, by name: a room's slug never names a file."""
    from mqlab.scenarios import challenge
    if name not in challenge.names():
        raise scenarios.ScenarioError(name, [("$", "no such challenge")])
    data = challenge.load(name)
    spec = challenge.broken_spec(data) if spec is None else spec
    summary = (f"A broken system: read the story, change as few knobs as you can, and check"
               f" your fix on {len(data['seeds'])} seeds (par {data['par']})." if not stored
               else "Your fix, playing: the goal below is checked live in this room.")
    return ScenarioSource(f"challenge:{name}", data["broker"], f"Challenge: {data['title']}",
                          summary, spec, stored=stored)


def find(slug: str, spec: dict[str, Any] | None = None) -> Source:
    """The source a room's slug names; LookupError says what is allowed. ``spec`` is the
    stored scenario of an ``imported:`` room."""
    kind, _, name = slug.partition(":")
    if kind == "imported":
        if spec is None:
            raise LookupError(f"room source {slug!r} needs its stored scenario")
        return from_spec(spec, slug)
    if kind == "challenge":
        try:
            return challenge_source(name) if spec is None else _challenge(name, spec, True)
        except scenarios.ScenarioError:
            from mqlab.scenarios import challenge
            raise LookupError(f"no challenge {name!r}; choose one of:"
                              f" {', '.join(challenge.names())}") from None
    if kind in ("scenario", "walkthrough"):
        try:
            return (library_source if kind == "scenario" else walkthrough_source)(name)
        except scenarios.ScenarioError:
            names = (scenarios.library_names() if kind == "scenario"
                     else scenarios.walkthrough_names())
            raise LookupError(f"no {kind} {name!r}; choose one of: {', '.join(names)}") from None
    return presets.find(slug)


def stored_spec(source: Source) -> dict[str, Any] | None:
    """What a room record must keep to rebuild a source no library holds."""
    if isinstance(source, ScenarioSource) and (source.imported or source.stored):
        return source.spec
    return None


def start(source: Source, seed: int,
          listener: Listener) -> tuple[Simulation, Run | None, Guide | None]:
    """A fresh simulation for ``source`` with ``listener`` subscribed before anything happens,
    the scenario run that built it (None for a preset, whose commands the room applies) and
    the walkthrough guide if any."""
    if isinstance(source, ScenarioSource):
        run, guide = source.new_run(seed, listener)
        return run.sim, run, guide
    sim = Simulation(seed, room_limits())
    sim.subscribe(listener)
    return sim, None, None


def scenario_cards() -> list[dict[str, Any]]:
    """The library for the home page: name, title, description, brokers."""
    return [{**entry, "slug": f"scenario:{entry['name']}",
             "brokers": brokers_of(library_source(entry["name"]).spec)}
            for entry in scenarios.catalog()]


def walkthrough_cards() -> list[dict[str, Any]]:
    """The walkthroughs for the home page: interview questions first."""
    names = scenarios.walkthrough_names()
    ordered = [name for name in INTERVIEW_ORDER if name in names]
    ordered += sorted(name for name in names if name not in ordered)
    cards = []
    for name in ordered:
        source = walkthrough_source(name)
        walkthrough = source.walkthrough or {}
        cards.append({"name": name, "slug": source.slug, "title": source.title,
                      "summary": source.summary, "kind": walkthrough.get("kind", "pattern"),
                      "question": walkthrough.get("question"),
                      "steps": len(walkthrough.get("steps", ())), "broker": source.broker})
    return cards
