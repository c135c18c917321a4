"""The Kafka listener's codec (mqlab/kafka/codec.py): every advertised API version answers in
a frame kio reads back, and record batches survive a write and a read."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kio.index import load_response_schema
from kio.serial import entity_reader

from mqlab.kafka import codec


def test_every_advertised_version_answers_a_readable_frame():
    for api_key, (low, high) in codec.VERSIONS.items():
        for version in range(low, high + 1):
            frame = codec.response(api_key, version, 7, {"error_code": 35})
            (size,) = struct.unpack_from(">i", frame)
            assert size == len(frame) - 4
            schema = load_response_schema(api_key, version)
            # (kio's readers answer the entity and how many bytes it took)
            header, taken = entity_reader(schema.__header_schema__)(frame, 4)
            assert header.correlation_id == 7
            body, size = entity_reader(schema)(frame, 4 + taken)
            assert 4 + taken + size == len(frame), (api_key, version)


def test_an_unknown_version_is_refused_before_parsing():
    frame = struct.pack(">hhih", 3, 99, 5, -1)
    try:
        codec.parse(frame)
    except codec.Unsupported as unsupported:
        assert (unsupported.api_key, unsupported.version, unsupported.correlation_id) == \
            (3, 99, 5)
    else:
        raise AssertionError("Metadata v99 was parsed")


payloads = st.one_of(st.none(), st.binary(max_size=20))


# (a shared machine can make generation slow; the property does not depend on speed)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(payloads, payloads,
                          st.lists(st.tuples(st.text(max_size=8), payloads), max_size=3)),
                min_size=1, max_size=6))
def test_record_batches_round_trip(records):
    stored = [codec.Stored(offset, 1_000 + offset, key, value, tuple(headers), -1, False, None)
              for offset, (key, value, headers) in enumerate(records)]
    (batch,) = codec.read_batches(codec.write_batches(stored, 0))
    assert [(r.key, r.value, r.headers) for r in batch.records] == \
        [(key, value, tuple((name, v) for name, v in headers))
         for key, value, headers in records]


def test_a_marker_is_a_control_batch_of_its_own():
    stored = [codec.Stored(0, 0, None, b"a", (), 9, True, None),
              codec.Stored(1, 0, None, None, (), 9, True, "commit"),
              codec.Stored(2, 0, None, b"b", (), -1, False, None)]
    data = codec.write_batches(stored, 0)
    attributes, offset = [], 0
    while offset < len(data):
        base, length = struct.unpack_from(">qi", data, offset)
        attributes.append((base, struct.unpack_from(">h", data, offset + 21)[0]))
        offset += 12 + length
    assert attributes == [(0, codec.TRANSACTIONAL), (1, codec.TRANSACTIONAL | codec.CONTROL),
                          (2, 0)]
