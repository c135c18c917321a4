"""The Kafka listener in this process (mqlab/kafka), spoken to at the wire with kio's typed
messages: the per-room connection bound, the brokers Metadata advertises, and a write to a
broker that does not lead the partition."""

from __future__ import annotations

import asyncio
import io
import struct

import pytest
import pytest_asyncio
from kio.index import load_request_schema, load_response_schema
from kio.serial import entity_reader, entity_writer

from mqlab.kafka import codec
from mqlab.kafka.listener import Listener
from mqlab.management.commands._server import free_ports
from mqlab.rooms import offloop
from tests.web.conftest import OWNER, create_room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class Wire:
    """One client connection: typed requests out, typed answers back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.correlation = reader, writer, 0

    @classmethod
    async def open(cls, port: int) -> Wire:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def call(self, api_key: int, version: int, **fields):
        schema = load_request_schema(api_key, version)
        self.correlation += 1
        buffer = io.BytesIO()
        entity_writer(schema.__header_schema__)(buffer, codec.build(schema.__header_schema__, {
            "request_api_key": api_key, "request_api_version": version,
            "correlation_id": self.correlation, "client_id": "wire-test"}))
        entity_writer(schema)(buffer, codec.build(schema, fields))
        self.writer.write(struct.pack(">i", buffer.tell()) + buffer.getvalue())
        size = struct.unpack(">i", await self.reader.readexactly(4))[0]
        data = await self.reader.readexactly(size)
        answer = load_response_schema(api_key, version)
        _, offset = entity_reader(answer.__header_schema__)(data, 0)
        return entity_reader(answer)(data, offset)[0]

    async def login(self, user: str, password: str):
        await self.call(17, 1, mechanism="PLAIN")
        return await self.call(36, 1, auth_bytes=f"\0{user}\0{password}".encode())

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(1), 5) == b""

    def close(self) -> None:
        self.writer.close()


@pytest_asyncio.fixture
async def listener(settings):
    settings.MQLAB_KAFKA_BROKERS = 3
    base = free_ports(4)
    settings.MQLAB_KAFKA_PORT = base
    server = Listener()
    await server.start(base, "127.0.0.1")
    yield base
    for each in server.servers:
        each.close()


async def test_a_room_takes_so_many_connections(rooms, listener, settings):
    settings.MQLAB_KAFKA_CONNECTIONS_PER_ROOM = 1
    room = await create_room("kafka-playground")
    first = await Wire.open(listener)
    assert (await first.login(room.id, room.token)).error_code == 0
    second = await Wire.open(listener)
    refused = await second.login(room.id, room.token)
    assert refused.error_code == 58  # SASL_AUTHENTICATION_FAILED, saying why
    assert "1 Kafka connections, the most it accepts" in refused.error_message
    assert await second.closed()
    first.close()
    await asyncio.sleep(0.2)
    third = await Wire.open(listener)
    assert (await third.login(room.id, room.token)).error_code == 0
    third.close()


async def test_each_broker_has_its_address_and_only_the_leader_takes_writes(rooms, listener):
    room = await create_room("kafka-playground")
    created = await offloop.call(room, room.run_command, OWNER, "create_topic", {
        "name": "orders", "partitions": "1", "replication_factor": "3"})
    assert created.ok
    bootstrap = await Wire.open(listener)
    await bootstrap.login(room.id, room.token)
    metadata = await bootstrap.call(3, 9, topics=[{"name": "orders"}])
    assert sorted((b.node_id, b.port) for b in metadata.brokers) == \
        [(1, listener + 1), (2, listener + 2), (3, listener + 3)]
    (partition,) = metadata.topics[0].partitions
    assert sorted(partition.replica_nodes) == [1, 2, 3]
    batch = codec.write_batches([codec.Stored(0, 0, None, b"hi", (), -1, False, None)], 0)

    async def produce_to(broker: int) -> int:
        wire = await Wire.open(listener + broker)
        await wire.login(room.id, room.token)
        answer = await wire.call(0, 7, transactional_id=None, acks=-1, timeout=5000,
                                 topic_data=[{"name": "orders", "partition_data": [
                                     {"index": 0, "records": batch}]}])
        wire.close()
        return answer.responses[0].partition_responses[0].error_code

    follower = next(b for b in (1, 2, 3) if b != partition.leader_id)
    assert await produce_to(follower) == 6  # NOT_LEADER_OR_FOLLOWER
    assert await produce_to(partition.leader_id) == 0
    assert [r.value for r in room.sim.kafka.topics["orders"].partitions[0].log.records()] == \
        ["hi"]
    bootstrap.close()
