"""The small pieces of the simulated apps: backoff, token bucket, arrival patterns, keys,
body templates, processing times and failure rules."""

import random

from hypothesis import given
from hypothesis import strategies as st

from engine.apps.backoff import Backoff
from engine.apps.bodies import render, unknown_fields
from engine.apps.durations import duration_from_spec
from engine.apps.failures import FailureRule
from engine.apps.keys import keys_from_spec
from engine.apps.rates import Bursts, Spike, Steady
from engine.apps.token_bucket import TokenBucket


def test_backoff_without_jitter_doubles_up_to_the_cap():
    backoff = Backoff(base=1, factor=2, cap=10, jitter="none")
    rng = random.Random(0)
    assert [backoff.delay(n, rng) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=10_000))
def test_full_jitter_stays_between_zero_and_the_exponential_ceiling(attempt, seed):
    backoff = Backoff(base=0.5, factor=2, cap=60, jitter="full")
    delay = backoff.delay(attempt, random.Random(seed))
    assert 0 <= delay <= backoff.ceiling(attempt)


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=10_000))
def test_equal_jitter_keeps_at_least_half_the_ceiling(attempt, seed):
    backoff = Backoff(base=0.5, factor=2, cap=60, jitter="equal")
    delay = backoff.delay(attempt, random.Random(seed))
    assert backoff.ceiling(attempt) / 2 - 0.001 <= delay <= backoff.ceiling(attempt) + 0.001


def test_jittered_delays_are_whole_milliseconds():
    delay = Backoff(jitter="full").delay(3, random.Random(5))
    assert delay == round(delay, 3)


def test_token_bucket_lets_a_burst_through_then_paces_at_the_rate():
    bucket = TokenBucket(rate=2, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.wait(0.0) == 0.5
    assert bucket.take(0.5)
    assert not bucket.take(0.5)


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200))
def test_token_bucket_never_exceeds_rate_times_time_plus_burst(gaps):
    bucket = TokenBucket(rate=4, burst=2)
    now, taken = 0.0, 0
    for gap in gaps:
        now += gap
        taken += bucket.take(now)
    assert taken <= 2 + 4 * now + 1e-6


def test_steady_rate_is_evenly_spaced_and_bursts_send_many_at_once():
    assert Steady(4).next(0, random.Random(0)) == (0.25, 1)
    assert Bursts(size=10, every=5).next(0, random.Random(0)) == (5, 10)


def test_spike_switches_to_the_peak_rate_inside_its_window():
    spike = Spike(per_second=1, peak=20, start=10, end=15)
    rng = random.Random(0)
    assert spike.next(2, rng) == (1.0, 1)
    assert spike.next(9.5, rng) == (0.5, 1)  # lands exactly on the start of the spike
    assert spike.next(12, rng) == (0.05, 1)
    assert spike.next(15, rng) == (1.0, 1)


def test_hot_key_takes_its_share_of_the_traffic():
    chooser = keys_from_spec({"kind": "hot", "keys": 10, "hot": "key-1", "share": 0.8})
    rng = random.Random(1)
    keys = [chooser.choose(rng) for _ in range(2000)]
    assert 0.78 < keys.count("key-1") / len(keys) < 0.86  # 0.8 + 0.2 * 1/10 expected


def test_cycle_keys_come_in_turn():
    chooser = keys_from_spec({"kind": "cycle", "keys": ["a", "b", "c"]})
    assert [chooser.choose(random.Random(0)) for _ in range(5)] == ["a", "b", "c", "a", "b"]


def test_body_template_fills_its_fields_and_reports_unknown_ones():
    text = render("{producer}: order {n} for {key} (#{seq}) at {t}", n=7, key="bob", seq=2,
                  producer="shop", t=1.5)
    assert text == "shop: order 7 for bob (#2) at 1.5"
    assert unknown_fields("order {n} {colour}") == ["colour"]


def test_processing_time_distributions():
    rng = random.Random(3)
    assert duration_from_spec(2)(rng) == 2.0
    samples = [duration_from_spec({"kind": "uniform", "min": 1, "max": 2})(rng)
               for _ in range(100)]
    assert all(1 <= s <= 2 for s in samples)
    assert all(duration_from_spec({"kind": "normal", "mean": 0, "stddev": 5})(rng) >= 0
               for _ in range(100))


def test_poison_body_fails_every_time_and_other_bodies_never_without_a_rate():
    rule = FailureRule(poison=("bad-order",))
    rng = random.Random(0)
    assert all(rule.reason("bad-order", rng) for _ in range(5))
    assert rule.reason("good-order", rng) is None
    assert FailureRule(poison=("bad",), match="contains").reason("a bad order", rng)
