"""Kafka's own protocol in front of a room: kafka-python, confluent-kafka (librdkafka) and
kafkajs drive a Kafka room unchanged.

- ``listener``: the TCP servers (bootstrap + one port per simulated broker), connections,
  SASL/PLAIN (user = room id, password = the room's token), bounds;
- ``codec``: frames and record batches through ``kio``;
- ``handlers``: each API's answer from the room's model; what changes the room runs as its
  ``api`` command (``mqlab.commands._kafka_api``).

APIs and versions: see ``codec.VERSIONS``.
"""
