"""Topic exchange semantics, checked against RabbitMQ's tutorial five and its trie rules."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Simulation
from engine.rabbitmq import TopicTrie, topic_matches, topic_trie

# Tutorial five ("Topics"): Q1 is bound with *.orange.*, Q2 with *.*.rabbit and lazy.#.
TUTORIAL = [
    ("quick.orange.rabbit", {"Q1", "Q2"}),
    ("lazy.orange.elephant", {"Q1", "Q2"}),
    ("quick.orange.fox", {"Q1"}),
    ("lazy.brown.fox", {"Q2"}),
    ("lazy.pink.rabbit", {"Q2"}),  # matches two Q2 bindings, delivered once
    ("quick.brown.fox", set()),
    ("orange", set()),
    ("quick.orange.new.rabbit", set()),
    ("lazy.orange.new.rabbit", {"Q2"}),
]


@pytest.mark.parametrize(("routing_key", "queues"), TUTORIAL)
def test_tutorial_five_routing_through_a_topic_exchange(routing_key, queues):
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("topic_logs", "topic")
    for queue, keys in {"Q1": ["*.orange.*"], "Q2": ["*.*.rabbit", "lazy.#"]}.items():
        ch.queue_declare(queue)
        for key in keys:
            ch.queue_bind(queue, "topic_logs", key)
    ch.basic_publish("topic_logs", routing_key, b"x")
    assert {name for name, q in sim.rabbitmq.queues.items() if q["ready"]} == queues
    assert sum(q["ready"] for q in sim.rabbitmq.queues.values()) == len(queues)


@pytest.mark.parametrize(("binding", "routing_key", "expected"), [
    # '*' is exactly one word; '#' is zero or more words.
    ("order.*", "order.created", True),
    ("order.*", "order", False),
    ("order.*", "order.created.eu", False),
    ("*.created", "order.created", True),
    ("*.created", "created", False),
    ("#", "order.created.eu", True),
    ("#", "", True),                     # '#' matches the empty key (zero words)
    ("*", "", False),                    # '*' needs one word; "" has none
    ("", "", True),                      # the empty binding matches only the empty key
    ("", "a", False),
    ("#.created", "created", True),      # '#' swallowing zero words
    ("order.#", "order", True),
    ("order.#.eu", "order.eu", True),
    ("order.#.eu", "order.a.b.eu", True),
    ("#.#", "a", True),
    ("*.#.*", "a", False),
    ("*.#.*", "a.b", True),
    # Empty words are words: "a..b" is a, "", b; "." is two empty words.
    ("a.*.b", "a..b", True),
    ("*.*", ".", True),
    ("*", ".", False),
    ("a.*", "a.", True),
    ("a", "a.", False),
    # Literal words are compared exactly (case-sensitive, no substrings).
    ("order.*", "Order.created", False),
    ("ord.*", "order.created", False),
])
def test_topic_matches_follows_rabbitmq_word_rules(binding, routing_key, expected):
    assert topic_matches(binding, routing_key) is expected


def test_trie_returns_each_destination_once_even_when_several_keys_match():
    trie = TopicTrie()
    for key in ["lazy.#", "*.*.rabbit", "#"]:
        trie.bind(key, "Q2")
    trie.bind("*.orange.*", "Q1")
    assert sorted(trie.match("lazy.orange.rabbit")) == ["Q1", "Q2"]


def test_trie_unbind_removes_only_that_binding_and_prunes_empty_branches():
    trie = TopicTrie()
    trie.bind("a.b.c", "Q1")
    trie.bind("a.#", "Q2")
    trie.unbind("a.b.c", "Q1")
    assert trie.match("a.b.c") == ["Q2"]
    trie.unbind("a.#", "Q2")
    assert trie.match("a.b.c") == []
    assert trie._root.children == {}


def test_unbinding_one_of_two_equal_keys_with_different_arguments_keeps_routing():
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("t", "topic")
    ch.queue_declare("q")
    ch.queue_bind("q", "t", "a.*", arguments={"tag": 1})
    ch.queue_bind("q", "t", "a.*", arguments={"tag": 2})
    ch.queue_unbind("q", "t", "a.*", arguments={"tag": 1})
    ch.basic_publish("t", "a.b", b"x")
    assert sim.rabbitmq.queues["q"]["ready"] == 1


def reference_match(binding_words, routing_words):
    """Word-by-word definition of topic matching, independent of the trie."""
    if not binding_words:
        return not routing_words
    first, rest = binding_words[0], binding_words[1:]
    if first == "#":
        return any(reference_match(rest, routing_words[i:])
                   for i in range(len(routing_words) + 1))
    if not routing_words:
        return False
    return (first == "*" or first == routing_words[0]) and reference_match(rest,
                                                                        routing_words[1:])


def words(key):
    return key.split(".") if key else []


KEYS = st.lists(st.sampled_from(["a", "b", ""]), max_size=5).map(".".join)
PATTERNS = st.lists(st.sampled_from(["a", "b", "", "*", "#"]), max_size=5).map(".".join)


@given(bindings=st.lists(PATTERNS, min_size=1, max_size=8), routing_key=KEYS)
def test_trie_routes_exactly_like_the_word_by_word_definition(bindings, routing_key):
    trie = TopicTrie()
    for number, binding in enumerate(bindings):
        trie.bind(binding, number)
    expected = [n for n, b in enumerate(bindings)
                if reference_match(words(b), words(routing_key))]
    assert sorted(trie.match(routing_key)) == expected
    for number, binding in enumerate(bindings):
        assert topic_matches(binding, routing_key) is (number in expected)


def regex_for(binding_key):
    """A second, independent definition: each routing word is written with a '.' after it,
    so '*' is one '[^.]*\\.' and '#' is any number of them."""
    parts = {"*": r"[^.]*\.", "#": r"(?:[^.]*\.)*"}
    return re.compile("".join(parts.get(w, re.escape(w) + r"\.") for w in words(binding_key)))


def terminated(routing_key):
    return "".join(w + "." for w in words(routing_key))


WORD = st.sampled_from(["a", "b", "", "*", "#"])
SMALL_KEYS = st.lists(WORD, max_size=7).map(".".join)


@given(binding=SMALL_KEYS, routing_key=SMALL_KEYS)
def test_topic_matches_equals_a_regex_translation(binding, routing_key):
    expected = regex_for(binding).fullmatch(terminated(routing_key)) is not None
    assert topic_matches(binding, routing_key) is expected


@given(bindings=st.lists(SMALL_KEYS, min_size=1, max_size=10), routing_key=SMALL_KEYS)
def test_trie_matches_the_bindings_topic_matches_accepts(bindings, routing_key):
    trie = TopicTrie()
    for number, binding in enumerate(bindings):
        trie.bind(binding, number)
    assert set(trie.match(routing_key)) == {
        n for n, b in enumerate(bindings) if topic_matches(b, routing_key)}


def test_topic_match_with_many_hashes_is_polynomial(monkeypatch):
    """Ten '#' words against 200 words: a backtracking walk tries every way of sharing the
    words among the '#'s (about 10**16); the state walk visits each (node, word) state once."""
    steps = []
    real = topic_trie._next_states
    monkeypatch.setattr(topic_trie, "_next_states",
                        lambda *args: steps.append(1) or real(*args))
    key = ".".join(["w"] * 200)
    trie = TopicTrie()
    trie.bind(".".join(["#"] * 10 + ["x"]), "never")  # fails only after trying everything
    trie.bind(".".join(["#"] * 10), "always")
    assert trie.match(key) == ["always"]
    nodes = 1 + 10 + 1
    assert len(steps) <= 2 * nodes * (200 + 1)


def test_publishing_a_long_key_to_many_hash_bindings_routes_at_once():
    """Issue 9: '#.#.#.#.#.#.#.#.x' against a 28-word key took seconds per publish."""
    sim = Simulation()
    ch = sim.rabbitmq.channel()
    ch.exchange_declare("t", "topic")
    ch.queue_declare("q")
    ch.queue_bind("q", "t", ".".join(["#"] * 8 + ["x"]))
    for _ in range(20):
        ch.basic_publish("t", ".".join(["w"] * 28), b"x")
    ch.basic_publish("t", ".".join(["w"] * 27 + ["x"]), b"x")
    assert sim.rabbitmq.queues["q"]["ready"] == 1
