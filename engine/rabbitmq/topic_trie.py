"""Topic matching: binding keys with ``*`` and ``#`` held in a trie, as RabbitMQ routes them.

A routing key is a list of words split on ``.``. In a binding key ``*`` matches exactly one
word and ``#`` matches zero or more words (RabbitMQ tutorial five, "Topics"; "Exchanges"
guide, topic exchanges). Words may be empty: ``"a..b"`` is ``a``, ``""``, ``b``; the empty
routing key is zero words, so ``#`` matches it but ``*`` does not; ``"."`` is two empty words
(RabbitMQ's ``rabbit_db_topic_exchange:split_topic_key``, which splits ``<<>>`` to ``[]``).

RabbitMQ keeps every binding key of a topic exchange in one trie whose edges are words and
walks it once per message, following the literal word, ``*`` and ``#`` edges
(``rabbit_db_topic_exchange:trie_match``); routing cost depends on the key, not on how many
bindings there are. ``TopicTrie`` does the same; ``topic_matches`` asks a one-binding trie,
so both answer from the same code.
"""

from __future__ import annotations

from collections.abc import Hashable

ONE_WORD = "*"
ANY_WORDS = "#"


def split_words(key: str) -> list[str]:
    """Words of a routing or binding key; the empty key is zero words."""
    return key.split(".") if key else []


class _Node:
    __slots__ = ("children", "destinations")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        #: destination -> how many bindings (different arguments) end here for it
        self.destinations: dict[Hashable, int] = {}


class TopicTrie:
    """Binding keys -> destinations; ``match(routing_key)`` returns each destination once."""

    __slots__ = ("_root",)

    def __init__(self) -> None:
        self._root = _Node()

    def bind(self, binding_key: str, destination: Hashable) -> None:
        node = self._root
        for word in split_words(binding_key):
            child = node.children.get(word)
            if child is None:
                child = node.children[word] = _Node()
            node = child
        node.destinations[destination] = node.destinations.get(destination, 0) + 1

    def unbind(self, binding_key: str, destination: Hashable) -> None:
        """Remove one binding; prune the branch it leaves empty (as RabbitMQ's
        ``remove_path_if_empty`` does) so a trie never grows from bind/unbind churn."""
        path = [self._root]
        words = split_words(binding_key)
        for word in words:
            child = path[-1].children.get(word)
            if child is None:
                return
            path.append(child)
        node = path[-1]
        left = node.destinations.get(destination, 0) - 1
        if left > 0:
            node.destinations[destination] = left
        else:
            node.destinations.pop(destination, None)
        for depth in range(len(words), 0, -1):
            node = path[depth]
            if node.children or node.destinations:
                break
            del path[depth - 1].children[words[depth - 1]]

    def match(self, routing_key: str) -> list[Hashable]:
        """Destinations whose binding key matches, each once, in trie order."""
        found: dict[Hashable, None] = {}
        _collect(self._root, split_words(routing_key), 0, found)
        return list(found)


def _collect(node: _Node, words: list[str], i: int, found: dict[Hashable, None]) -> None:
    children = node.children
    if i == len(words):
        for destination in node.destinations:
            found[destination] = None
        # '#' also matches zero words, so a '#' edge is followed with nothing left.
        rest = children.get(ANY_WORDS)
        if rest is not None:
            _collect(rest, words, i, found)
        return
    child = children.get(words[i])
    if child is not None:
        _collect(child, words, i + 1, found)
    child = children.get(ONE_WORD)
    if child is not None and words[i] != ONE_WORD:  # a literal '*' word took that edge
        _collect(child, words, i + 1, found)
    child = children.get(ANY_WORDS)
    if child is not None:
        for j in range(i, len(words) + 1):  # '#' swallows 0, 1, ... of the remaining words
            _collect(child, words, j, found)


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """Does a topic binding with ``binding_key`` route a message with ``routing_key``?"""
    trie = TopicTrie()
    trie.bind(binding_key, True)
    return bool(trie.match(routing_key))
