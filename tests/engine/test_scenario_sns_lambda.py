"""Scenarios with SNS topics, subscriptions, a producer publishing to a topic, and Lambda-style
consumers (``kind: "lambda"``): references, budget, and a headless run (the schema's side:
tests/web/test_scenarios_sns_lambda.py)."""

import copy

import pytest

from engine.limits import Limits
from engine.scenario import Run, run
from engine.scenario.budget import check as check_budget
from engine.scenario.references import check as check_references

FAN_OUT = {
    "title": "fan-out", "description": "d", "duration": 60, "seed": 5,
    "sqs": {
        "queues": [{"name": "billing", "attributes": {"VisibilityTimeout": "5"}},
                   {"name": "audit"}],
        "topics": [{"name": "orders", "subscriptions": [
            {"queue": "billing", "raw": True},
            {"queue": "audit", "filter_policy": {"idempotency-key": [{"prefix": "shop-1"}]}},
        ]}],
    },
    "producers": [{"name": "shop", "broker": "sqs", "topic": "orders",
                   "rate": {"kind": "steady", "per_second": 1}, "count": 12,
                   "body": "order {n}"}],
    "consumers": [
        {"name": "fn", "broker": "sqs", "queue": "billing", "kind": "lambda", "batch": 5,
         "batching_window": 3, "report_batch_item_failures": True, "poison": ["order 7"],
         "processing": 0.1},
        {"name": "auditor", "broker": "sqs", "queue": "audit"},
    ],
}


def spec(**changes):
    data = copy.deepcopy(FAN_OUT)
    data.update(changes)
    return data


def test_the_references_hold():
    assert check_references(spec()) == []


def test_a_fan_out_scenario_runs_headless():
    result = run(spec())
    summary = result.summary
    assert summary["published"] == 12
    consumers = summary["consumers"]
    # billing gets every order; "order 7" fails every time and returns alone
    assert consumers["fn"]["side_effects"] == 11 and consumers["fn"]["duplicates"] == 0
    # audit's filter policy lets through keys shop-1, shop-10, shop-11, shop-12
    assert consumers["auditor"]["side_effects"] == 4


def test_without_batch_item_failures_the_batch_returns_and_work_is_done_twice():
    data = spec()
    del data["consumers"][0]["report_batch_item_failures"]
    summary = run(data).summary
    assert summary["consumers"]["fn"]["duplicates"] > 0
    # ... unless the function checks an idempotency store first (effectively once)
    data["consumers"][0]["guarantee"] = "effectively-once"
    played = Run(data)
    summary = played.play().summary
    assert summary["consumers"]["fn"]["duplicates"] == 0
    assert summary["consumers"]["fn"]["guarantee"] == "effectively-once"
    assert played.measure("skipped_duplicates") > 0


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d["sqs"]["topics"][0]["subscriptions"][0].update(queue="nope"),
     "$.sqs.topics[0].subscriptions[0].queue"),
    (lambda d: d["producers"][0].update(topic="nope"), "$.producers[0].topic"),
])
def test_unknown_names_are_reported_with_their_path(change, path):
    data = spec()
    change(data)
    assert [p for p, _ in check_references(data)] == [path]


def test_the_room_budget_counts_sns_topics_and_subscriptions():
    problems = list(check_budget(spec(), Limits(max_topics=1, max_bindings=1)))
    assert [p for p, _ in problems] == ["$.sqs.topics"]
