"""One small adapter per broker, so every simulated app works on RabbitMQ, Kafka and SQS.

``consumer_adapter(sim, broker, name, **settings)`` and ``producer_adapter(...)`` pick the
broker's adapter; each module's docstring says how the app's intentions map to that broker's
calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import ConsumerAdapter, Delivery, Outgoing, ProducerAdapter

if TYPE_CHECKING:
    from engine.simulation import Simulation

__all__ = ["ConsumerAdapter", "Delivery", "Outgoing", "ProducerAdapter", "consumer_adapter",
           "depth_function", "producer_adapter"]


def consumer_adapter(sim: Simulation, broker: str, name: str, **settings: Any) -> Any:
    if broker == "rabbitmq":
        from .rabbitmq import RabbitConsumer
        return RabbitConsumer(sim, name, **settings)
    if broker == "kafka":
        from .kafka import KafkaConsumerAdapter
        return KafkaConsumerAdapter(sim, name, **settings)
    from .sqs import SqsConsumer
    return SqsConsumer(sim, name, **settings)


def producer_adapter(sim: Simulation, broker: str, name: str, **settings: Any) -> Any:
    if broker == "rabbitmq":
        from .rabbitmq import RabbitProducer
        return RabbitProducer(sim, name, **settings)
    if broker == "kafka":
        from .kafka import KafkaProducerAdapter
        return KafkaProducerAdapter(sim, name, **settings)
    from .sqs import SnsProducer, SqsProducer
    if "topic" in settings:
        return SnsProducer(sim, name, **settings)
    return SqsProducer(sim, name, **settings)


def depth_function(sim: Simulation, broker: str) -> Any:
    """``depth(name)``: messages waiting in a queue (Kafka: records retained in a topic)."""
    if broker == "rabbitmq":
        from .rabbitmq import queue_depth
    elif broker == "kafka":
        from .kafka import queue_depth
    else:
        from .sqs import queue_depth
    return lambda name: queue_depth(sim, name)
