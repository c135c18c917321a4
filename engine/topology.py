"""The topology snapshot: nodes and edges as plain data, enough to draw a diagram.

Node ids are ``"<broker>:<kind>:<name>"`` (``"rabbitmq:queue:orders"``,
``"kafka:partition:orders/0"``) so ids from different brokers never clash; events name
their ``source`` and ``target`` with the same ids. Each broker model adds its own nodes and
edges; ``column`` orders nodes left to right (producers 0, exchanges/topics 1,
queues/partitions 2, consumers 3) so a client lays them out without knowing the broker.
"""

from __future__ import annotations

from typing import Any

PRODUCERS, ROUTERS, STORES, CONSUMERS = 0, 1, 2, 3


def node_id(broker: str, kind: str, name: str) -> str:
    return f"{broker}:{kind}:{name}"


class TopologyBuilder:
    """Collects nodes and edges from every broker model into one plain snapshot."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []

    def node(self, id: str, *, broker: str, kind: str, name: str, column: int,
             label: str | None = None, **props: Any) -> None:
        self.nodes.append({
            "id": id, "broker": broker, "kind": kind, "name": name, "column": column,
            "label": name if label is None else label, "props": props,
        })

    def edge(self, source: str, target: str, *, kind: str, label: str = "", **props: Any) -> None:
        self.edges.append({
            "id": f"{source}->{target}#{kind}:{label}", "source": source, "target": target,
            "kind": kind, "label": label, "props": props,
        })

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges}
