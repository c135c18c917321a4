"""The scenario format's exactly-once, durability and ordering parts as an author meets them:
a bad file names its culprit, and the lessons' checkpoints read as sentences."""

import pytest

from mqlab.scenarios import problems_in
from mqlab.walkthroughs import describe_sentence

BASE = {
    "title": "t", "description": "d", "duration": 10,
    "rabbitmq": {"exchanges": [{"name": "alerts", "type": "fanout"}], "queues": [{"name": "q"}]},
    "sqs": {"queues": [{"name": "events"}]},
    "kafka": {"topics": [{"name": "payments"}]},
}


def spec(**parts):
    return {**BASE, **parts}


def test_every_new_part_together_is_a_valid_scenario():
    assert problems_in(spec(
        producers=[{"name": "bank", "broker": "kafka", "topic": "payments",
                    "enable_idempotence": False,
                    "transactions": {"transactional_id": "bank", "size": 2, "abort_every": 2}}],
        consumers=[{"name": "dash", "broker": "rabbitmq", "subscribe": {"exchange": "alerts"}},
                   {"name": "totals", "broker": "kafka", "topic": "payments", "group": "g",
                    "isolation_level": "read_committed",
                    "transactional_output": {"topic": "payments", "transactional_id": "t"}}],
        outboxes=[{"name": "shop", "mode": "commit-first", "queue": "events", "step": 1}],
        timeline=[{"at": 1, "do": "lose-produce-response", "producer": "bank"},
                  {"at": 1, "do": "abort-transaction", "producer": "bank"},
                  {"at": 1, "do": "add-partitions", "topic": "payments", "partitions": 3},
                  {"at": 1, "do": "place", "outbox": "shop", "count": 2},
                  {"at": 2, "do": "crash", "outbox": "shop"},
                  {"at": 3, "do": "restart", "outbox": "shop"}],
        expect=[{"metric": "rows", "of": "shop", "op": "==", "value": 2},
                {"metric": "published", "of": "shop", "op": "==", "value": 2}])) == []


@pytest.mark.parametrize(("parts", "expected"), [
    ({"consumers": [{"name": "c", "broker": "rabbitmq"}]},
     [("$.consumers[0].queue", "required property 'queue' is missing"),
      ("$.consumers[0].subscribe", "required property 'subscribe' is missing")]),
    ({"consumers": [{"name": "c", "broker": "rabbitmq", "queue": "q",
                     "subscribe": {"exchange": "alerts"}}]},
     [("$.consumers[0].subscribe", "give 'queue' (a declared queue) or 'subscribe' (an"
       " exclusive queue of its own), not both")]),
    ({"consumers": [{"name": "c", "broker": "sqs", "queue": "events",
                     "subscribe": {"exchange": "alerts"}}]},
     [("$.consumers[0].subscribe", "'subscribe' does not apply when broker is 'sqs'")]),
    ({"producers": [{"name": "p", "broker": "rabbitmq",
                     "transactions": {"transactional_id": "t"}}]},
     [("$.producers[0].transactions", "'transactions' does not apply when broker is"
       " 'rabbitmq'")]),
    ({"outboxes": [{"name": "o", "queue": "events", "topic": "news"}]},
     [("$.outboxes[0].topic", "give 'queue' (an SQS queue) or 'topic' (an SNS topic), not"
       " both")]),
    ({"outboxes": [{"name": "o", "queue": "missing"}]},
     [("$.outboxes[0].queue", "unknown queue 'missing'; defined: 'events'")]),
    ({"outboxes": [{"name": "o", "queue": "events"}],
      "timeline": [{"at": 1, "do": "crash", "outbox": "o", "consumer": "c"}]},
     [("$.timeline[0].consumer", "unknown property 'consumer'; allowed here: at, do, note,"
       " outbox")]),
    ({"timeline": [{"at": 1, "do": "add-partitions", "topic": "payments", "partitions": 999}]},
     [("$.timeline[0].partitions", "999 is over this room's limit of")]),
])
def test_bad_parts_name_their_path_and_what_is_wrong(parts, expected):
    problems = problems_in(spec(**parts))
    assert len(problems) == len(expected), problems
    for (path, message), (want_path, want_start) in zip(problems, expected, strict=True):
        assert path == want_path and message.startswith(want_start)


@pytest.mark.parametrize(("checkpoint", "sentence"), [
    ({"metric": "out_of_order", "of": "ledger-a", "op": ">", "value": 0},
     "ledger-a applied at least one update after a later one of the same key"),
    ({"metric": "out_of_order", "of": "solo", "op": "==", "value": 0},
     "solo applied every key's updates in order"),
    ({"metric": "rows", "of": "orders-db", "op": "==", "value": 2},
     "orders-db has exactly 2 rows in its database"),
    ({"metric": "published", "of": "eager-db", "op": "==", "value": 1},
     "eager-db sent exactly 1 message"),
])
def test_the_new_checkpoints_read_as_sentences(checkpoint, sentence):
    assert describe_sentence(checkpoint) == sentence
