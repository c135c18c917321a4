"""Kafka's own protocol in front of a room: kafka-python, confluent-kafka (librdkafka) and
kafkajs drive a Kafka room unchanged.

- ``listener``: the TCP servers (bootstrap + one port per simulated broker), connections,
  SASL/PLAIN (user = room id, password = the room's token), bounds;
- ``codec``: frames and record batches through ``kio``;
- ``handlers`` (dispatch, set-up, metadata), ``producing``, ``fetching``, ``groups``: each
  API's answer from the room's model; ``room``: reads under the room's lock, changes as its
  ``api`` command (``mqlab.commands._kafka_api``), waits in its time, error codes.

APIs and versions: see ``codec.VERSIONS``.
"""
