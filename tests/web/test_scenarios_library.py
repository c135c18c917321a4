"""The scenario library: at least 15 scenarios, each valid, each explained, each running
headless to its end with every expectation met."""

import pytest

from engine.scenario import run
from mqlab.scenarios import catalog, library_names, load, schema
from mqlab.scenarios.loader import _validator

NAMES = library_names()


def test_the_library_covers_the_patterns_of_the_field():
    assert len(NAMES) >= 15
    assert {"work-queue-prefetch", "fanout-pub-sub", "topic-routing", "direct-routing",
            "request-reply-rpc", "priorities", "kafka-ordering-per-key",
            "kafka-consumer-group-rebalancing", "kafka-more-consumers-than-partitions",
            "kafka-replay", "kafka-broker-failure", "sqs-visibility-timeout",
            "sqs-fifo-groups-dedup", "sqs-dlq-redrive", "poison-message-retries",
            "delivery-guarantees", "rate-limit-backpressure",
            "load-levelling-spike", "poison-quorum-delivery-limit", "kafka-hot-key"
            } <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_validates_and_meets_its_expectations(name):
    spec = load(name)
    assert list(_validator().iter_errors(spec)) == []
    assert spec["explanation"] and spec["expect"]
    result = run(spec)
    assert result.summary["until"] == spec["duration"]
    failed = [o.describe() for o in result.outcomes if not o.met]
    assert failed == []
    assert len(result.outcomes) == len(spec["expect"])


def test_the_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator
    Draft202012Validator.check_schema(schema())


def test_effectively_once_has_no_duplicates_where_at_least_once_has_some_same_seed():
    result = run(load("delivery-guarantees"))
    consumers = result.summary["consumers"]
    assert consumers["at-least-once"]["duplicates"] > 0
    assert consumers["effectively-once"]["duplicates"] == 0
    assert consumers["at-most-once"]["lost"] > 0
    assert consumers["effectively-once"]["side_effects"] == result.summary["published"]


def test_a_library_scenario_replays_identically_with_its_seed():
    def trace():
        events = []
        run(load("kafka-consumer-group-rebalancing"), listeners=[events.append])
        return events

    assert trace() == trace()


def test_the_catalog_lists_every_scenario_with_its_title_and_tags():
    entries = {entry["name"]: entry for entry in catalog()}
    assert sorted(entries) == NAMES
    assert entries["kafka-replay"]["title"] == "Kafka: replay from the beginning"
    assert "replay" in entries["kafka-replay"]["tags"]
