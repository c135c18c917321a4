""""Why didn't it...?" for Kafka: why a consumer did not get a record.

A partition is read by exactly one member of each consumer group (the group protocol: the
leader runs the assignor, range / roundrobin / cooperative-sticky, and every member gets its
partitions); other groups read it independently. A consumer gets a record only once it owns
the record's partition and its position passes the record's offset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..causes import code
from .assignors import TopicPartition

if TYPE_CHECKING:
    from .model import Kafka


def why_not_fetched(kafka: Kafka, client_id: str, topic: str, partition: int,
                    offset: int) -> str:
    """Why consumer ``client_id`` has not got the record at ``topic``/``partition``@``offset``
    (from the group's assignment and the consumer's position now)."""
    consumer = kafka.consumers.get(client_id)
    if consumer is None:
        return f"there is no consumer {code(client_id)} (now)"
    if not consumer.alive:
        return f"{code(client_id)} is {consumer.state}: it polls nothing"
    tp = TopicPartition(topic, partition)
    owned = consumer.assignment()
    if tp in owned:
        position = consumer._positions.get(tp)
        if isinstance(position, int) and position <= offset:
            return (f"{code(client_id)} owns {tp} but its position is {position}: it has not "
                    f"polled as far as offset {offset} yet")
        return f"{code(client_id)} owns {tp} and reads it: the record is (or was) polled by it"
    if topic not in consumer.subscription:
        return (f"{code(client_id)} does not subscribe to topic {code(topic)} (it subscribes "
                f"to {', '.join(code(t) for t in consumer.subscription) or 'nothing'})")
    group = consumer.group
    strategy = consumer.strategy
    owner = None
    if group is not None:
        owner = next((m for m in group.members.values() if tp in m.assignment()), None)
    if owner is None:
        return (f"no member of group {code(consumer.group_id)} owns {tp} now (a rebalance may "
                "be under way)")
    text = (f"{tp} is owned by {code(owner.client_id)} under the {strategy} assignor: in a "
            f"group each partition is read by one consumer")
    if not owned:
        members = len(group.members) if group is not None else 1
        partitions = len(kafka.topics[topic].partitions) if topic in kafka.topics else 0
        text += (f"; {code(client_id)} owns no partition at all ({members} consumers share "
                 f"{partitions} partitions of {code(topic)})")
    else:
        text += f"; {code(client_id)} owns {', '.join(str(p) for p in owned)}"
    return text
