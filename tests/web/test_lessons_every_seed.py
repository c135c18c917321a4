"""Lessons that hold for every seed: each library scenario meets its expectations, and each
walkthrough its checkpoints and the events its steps narrate, for seeds 0-19, not only for
the seed in its file. A lesson that quotes a number true for one seed only teaches luck.

Headless and without listeners beyond the one a walkthrough keeps, so the 540 runs stay
fast (under a minute on a busy machine)."""

from functools import cache

import pytest

from engine.scenario import Walkthrough, run
from mqlab.scenarios import library_names, load, load_walkthrough, walkthrough_names
from tests.web.test_scenarios_walkthroughs import NARRATED

SEEDS = range(20)

scenario = cache(load)
walkthrough = cache(load_walkthrough)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", library_names())
def test_scenario_meets_its_expectations_for_every_seed(name, seed):
    result = run(scenario(name), seed=seed)
    assert [o.describe() for o in result.outcomes if not o.met] == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", walkthrough_names())
def test_walkthrough_checkpoints_and_narrated_events_hold_for_every_seed(name, seed):
    results = Walkthrough(*walkthrough(name), seed=seed).play_all()
    failed = [(r.index, o.describe()) for r in results for o in r.checkpoints if not o.met]
    assert failed == []
    seen = [{event.kind for event in result.events} for result in results]
    for index, kinds in NARRATED.get(name, {}).items():
        assert kinds <= seen[index], (index, kinds - seen[index])
        elsewhere = {i: kinds & step for i, step in enumerate(seen) if i != index and kinds & step}
        assert elsewhere == {}
