"""Loading scenario files: every kind of bad file gives a precise error (the JSON path of the
culprit and what is allowed there), and good ones come back as plain dicts."""

import json

import pytest

from mqlab.scenarios import ScenarioError, find, library_names, load, problems_in
from tests.specs import replaced

GOOD = {
    "title": "t", "description": "d", "duration": 10,
    "rabbitmq": {"queues": [{"name": "q"}]},
    "producers": [{"name": "p", "broker": "rabbitmq", "routing_key": "q",
                   "rate": {"kind": "steady", "per_second": 1}}],
    "consumers": [{"name": "c", "broker": "rabbitmq", "queue": "q", "processing": 0.5}],
}


def with_(path, value):
    return replaced(GOOD, path, value)


def test_a_good_scenario_has_no_problems():
    assert problems_in(GOOD) == []


@pytest.mark.parametrize(("data", "expected"), [
    ({"title": "t"}, [("$.description", "required property 'description' is missing"),
                      ("$.duration", "required property 'duration' is missing")]),
    (with_(["duration"], "ten"), [("$.duration", "'ten' is not of type number")]),
    (with_(["duration"], 0), [("$.duration", "0 must be > 0")]),
    (with_(["consumers", 0, "guarantee"], "exactly-once"), [(
        "$.consumers[0].guarantee", "'exactly-once' is not allowed; allowed: 'at-most-once',"
        " 'at-least-once', 'effectively-once'")]),
    (with_(["consumers", 0, "topic"], "t"), [(
        "$.consumers[0].topic", "'topic' does not apply when broker is 'rabbitmq'")]),
    (with_(["consumers", 0, "isolation_level"], "read_committed"), [(
        "$.consumers[0].isolation_level", "'isolation_level' does not apply when broker is "
        "'rabbitmq'")]),
    (with_(["producers", 0, "broker"], "sqs"), [(
        "$.producers[0].queue", "required property 'queue' is missing"), (
        "$.producers[0].routing_key", "'routing_key' does not apply when broker is 'sqs'")]),
    (with_(["producers", 0, "rate"], {"kind": "steady"}), [(
        "$.producers[0].rate.per_second", "required property 'per_second' is missing")]),
    (with_(["producers", 0, "rate"], {"kind": "steady", "per_second": 2, "peak": 3}), [(
        "$.producers[0].rate.peak", "unknown property 'peak'; allowed here: kind,"
        " per_second")]),
    (with_(["producers", 0, "name"], "has space"), [(
        "$.producers[0].name", '"has space" must match ^[A-Za-z0-9._:/-]+$ (letters, digits'
        " and . _ : / -)")]),
    (with_(["timeline"], [{"at": 1, "do": "explode"}]), [(
        "$.timeline[0].do", "'explode' is not allowed; allowed: 'publish', 'crash',"
        " 'restart', 'stop-consumer', 'start-consumer', 'stop-producer', 'kill-broker',"
        " 'restore-broker', 'restart-broker', 'redrive', 'seek-to-beginning', 'purge',"
        " 'add-partitions', 'lose-produce-response', 'abort-transaction', 'place'")]),
    (with_(["timeline"], [{"at": 1, "do": "crash", "consumer": "c", "producer": "p"}]), [(
        "$.timeline[0].producer", "unknown property 'producer'; allowed here: at, consumer,"
        " do, note")]),
    (with_(["expect"], [{"metric": "depth", "of": "q", "op": "=", "value": 1}]), [(
        "$.expect[0].op", "'=' is not allowed; allowed: '==', '!=', '<', '<=', '>', '>='")]),
])
def test_schema_problems_name_the_path_and_what_is_allowed(data, expected):
    assert problems_in(data) == expected


def test_a_processing_time_of_no_known_form_lists_the_forms():
    [(path, message)] = problems_in(with_(["consumers", 0, "processing"], {"kind": "gauss"}))
    assert path == "$.consumers[0].processing"
    assert message == ('{"kind": "gauss"} matches none of the allowed forms: a number;'
                       " {kind: 'constant', seconds}; {kind: 'uniform', min, max};"
                       " {kind: 'exponential', mean}; {kind: 'normal', mean, stddev}")


def test_an_unknown_top_level_property_lists_the_allowed_ones():
    [(path, message)] = problems_in({**GOOD, "brokers": {}})
    assert path == "$.brokers"
    assert message.startswith("unknown property 'brokers'; allowed here: $schema, alerts,"
                              " consumers, description, duration, expect, explanation, kafka,")


def test_every_problem_is_reported_at_once():
    data = with_(["consumers", 0, "guarantee"], "nope")
    data["duration"] = -1
    assert [path for path, _ in problems_in(data)] == ["$.consumers[0].guarantee",
                                                       "$.duration"]


def test_reference_problems_come_after_the_schema_passes():
    assert problems_in(with_(["consumers", 0, "queue"], "missing")) == [
        ("$.consumers[0].queue", "unknown queue 'missing'; defined: 'q'")]


def test_load_reads_a_file_and_raises_with_every_problem(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(with_(["consumers", 0, "queue"], "missing")))
    with pytest.raises(ScenarioError) as error:
        load(str(path))
    assert error.value.problems == [("$.consumers[0].queue",
                                     "unknown queue 'missing'; defined: 'q'")]
    assert str(error.value) == (f"{path}: 1 problem(s)\n  $.consumers[0].queue: unknown queue"
                                " 'missing'; defined: 'q'")


def test_invalid_json_says_where(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"title": "t",\n  "duration": }')
    with pytest.raises(ScenarioError) as error:
        load(str(path))
    assert error.value.problems == [("$", "not valid JSON: Expecting value at line 2,"
                                     " column 15")]


def test_an_unknown_name_lists_the_library():
    with pytest.raises(ScenarioError) as error:
        find("no-such-scenario")
    [(path, message)] = error.value.problems
    assert path == "$" and "library: " in message and "delivery-guarantees" in message


def test_a_library_name_loads_with_or_without_json_suffix():
    assert load("topic-routing") == load("topic-routing.json")
    assert "topic-routing" in library_names()
