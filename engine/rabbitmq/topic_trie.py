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

The walk is over states (trie node, words consumed) and visits each state once. A backtracking
walk that tries every split of the words among the ``#`` edges is exponential in the number of
``#`` words: ``#.#.#.#.#.#.#.#`` against a 28-word key took seconds. With the visited set a
match costs at most (trie nodes) x (words + 1) states, each a few dict look-ups. ``#`` is read
as "zero words, or one word and stay on the ``#`` node", so a state reached by a ``#`` edge
loops on itself instead of fanning out to every later word.
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
        return list(_walk(self._root, split_words(routing_key)))


#: (node, words consumed, reached by a '#' edge so it may swallow one more word)
_State = tuple[_Node, int, bool]


def _walk(root: _Node, words: list[str]) -> dict[Hashable, None]:
    """Depth-first over states, each visited once. Successors are pushed in reverse so states
    are first reached in the order a recursive walk reaches them (the literal word, ``*``,
    ``#``, then the ``#`` loop), which keeps the order of the destinations stable."""
    found: dict[Hashable, None] = {}
    seen: set[_State] = set()
    stack: list[_State] = [(root, 0, False)]
    end = len(words)
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        node, i, _ = state
        if i == end:
            for destination in node.destinations:
                found[destination] = None
        stack.extend(reversed(_next_states(state, words, end)))
    return found


def _next_states(state: _State, words: list[str], end: int) -> list[_State]:
    node, i, swallowing = state
    children = node.children
    following = []
    if i < end:
        word = words[i]
        child = children.get(word)
        if child is not None:
            following.append((child, i + 1, False))
        child = children.get(ONE_WORD)
        if child is not None and word != ONE_WORD:  # a literal '*' word took that edge
            following.append((child, i + 1, False))
    child = children.get(ANY_WORDS)
    if child is not None:  # '#' matching zero words, also with no words left
        following.append((child, i, True))
    if swallowing and i < end:  # the '#' that led here takes one more word
        following.append((node, i + 1, True))
    return following


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """Does a topic binding with ``binding_key`` route a message with ``routing_key``?"""
    trie = TopicTrie()
    trie.bind(binding_key, True)
    return bool(trie.match(routing_key))
