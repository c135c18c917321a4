"""Shared helpers of the RabbitMQ tests (no tests here): event traces by short node names."""


def short(node):
    """'rabbitmq:queue:orders' -> 'orders'."""
    return node.split(":", 2)[2] if node else None


def record(sim):
    """Every event the simulation emits from now on, in a list."""
    events = []
    sim.subscribe(events.append)
    return events


def moves(events, kinds=None):
    """(kind, message, from, to) of message events, nodes by short name."""
    return [(e.kind, e.message_id, short(e.source), short(e.target)) for e in events
            if e.message_id and (kinds is None or e.kind in kinds)]
