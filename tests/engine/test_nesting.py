"""engine/nesting.py: the depth check is iterative and ends on values that contain
themselves."""

from engine.nesting import MAX_NESTING, too_deep


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_depth_counts_containers_and_stops_at_the_bound():
    assert not too_deep("text") and not too_deep(nested(MAX_NESTING))
    assert too_deep(nested(MAX_NESTING + 1))
    assert too_deep(nested(100_000))  # far deeper than Python's recursion limit


def test_a_value_that_contains_itself_is_too_deep_not_endless():
    table = {}
    table["me"] = [table]
    assert too_deep(table)
