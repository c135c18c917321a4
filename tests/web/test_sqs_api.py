"""The SQS endpoint in process (issue 15): signatures as AWS checks them, the limits, the
query protocol's names, and the room's side (a hidden command, a logged request)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer
from django.test import AsyncClient

from mqlab import sqs_api, sqs_shapes
from mqlab.rooms import Room
from mqlab.sources import find
from tests.web.conftest import OWNER, connect, create_room
from tests.web.test_room_socket import events_until

pytestmark = pytest.mark.django_db(transaction=True)
BASE = "http://testserver"


async def send(room: Room, body: bytes, *, target: str | None = "AmazonSQS.ListQueues",
               secret: str | None = None, key: str | None = None, query: str = "",
               method: str = "POST", path: str | None = None):
    path = path or f"/rooms/{room.id}/sqs/"
    headers = {} if method == "GET" else {
        "Content-Type": "application/x-amz-json-1.0" if target else
        "application/x-www-form-urlencoded"}
    if target:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method, f"{BASE}{path}" + (f"?{query}" if query else ""), data=body,
                         headers=headers)
    SigV4Auth(Credentials(key or room.id, secret or room.token), "sqs", "eu-west-3") \
        .add_auth(request)
    signed = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    client = AsyncClient()
    call = client.post if method == "POST" else client.get
    kwargs = {"data": body, "content_type": headers["Content-Type"]} if method == "POST" \
        else {}
    return await call(path + (f"?{query}" if query else ""), headers=signed, **kwargs)


@pytest.mark.asyncio
async def test_a_signed_json_request_is_answered_and_logged(rooms):
    room = await create_room("sqs-playground")
    response = await send(room, b'{"QueueName": "a"}', target="AmazonSQS.CreateQueue")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(response.content) == {
        "QueueUrl": f"{BASE}/rooms/{room.id}/sqs/000000000000/a"}
    assert room.log[-1][1:] == ["api", {"action": "CreateQueue",
                                        "params": {"QueueName": "a"}, "client": "sdk"}]
    # The hidden command is never offered on the page.
    assert "api" not in json.dumps(room.command_groups())


@pytest.mark.asyncio
async def test_a_get_with_a_signed_query_string_is_checked_too(rooms):
    room = await create_room("sqs-playground")
    query = urllib.parse.urlencode({"Action": "ListQueues", "QueueNamePrefix": "a b/c"},
                                   quote_via=urllib.parse.quote)
    response = await send(room, b"", target=None, query=query, method="GET")
    assert response.status_code == 200, response.content
    assert b"<ListQueuesResponse" in response.content


@pytest.mark.asyncio
@pytest.mark.parametrize(("change", "code"), [
    ({"secret": "x" * 32}, "SignatureDoesNotMatch"),
    ({"key": "another-room"}, "InvalidClientTokenId"),
])
async def test_a_bad_key_or_signature_is_refused_with_aws_codes(rooms, change, code):
    room = await create_room("sqs-playground")
    response = await send(room, b"{}", **change)
    assert response.status_code == 403
    assert json.loads(response.content)["__type"] == f"com.amazon.coral.service#{code}"
    assert response["x-amzn-query-error"] == f"{code};Sender"
    assert room.log == []


@pytest.mark.asyncio
async def test_a_tampered_body_breaks_the_signature(rooms):
    room = await create_room("sqs-playground")
    request = AWSRequest("POST", f"{BASE}/rooms/{room.id}/sqs/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"})
    SigV4Auth(Credentials(room.id, room.token), "sqs", "us-east-1").add_auth(request)
    signed = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    response = await AsyncClient().post(f"/rooms/{room.id}/sqs/", data=b'{"x": 1}',
                                        content_type="application/x-amz-json-1.0",
                                        headers=signed)
    assert json.loads(response.content)["__type"].endswith("#SignatureDoesNotMatch")


@pytest.mark.asyncio
async def test_no_signature_unknown_room_and_unknown_action(rooms):
    room = await create_room("sqs-playground")
    response = await AsyncClient().post(f"/rooms/{room.id}/sqs/", data=b"{}",
                                        content_type="application/x-amz-json-1.0",
                                        headers={"X-Amz-Target": "AmazonSQS.ListQueues"})
    assert response.status_code == 403
    assert response["x-amzn-query-error"] == "MissingAuthenticationToken;Sender"
    response = await send(room, b"{}", path="/rooms/nosuchroom/sqs/")
    assert response.status_code == 403
    assert json.loads(response.content)["__type"].endswith("#InvalidClientTokenId")
    response = await send(room, b"{}", target="AmazonSQS.Explode")
    assert json.loads(response.content)["__type"].endswith("#UnknownOperationException")
    response = await send(room, b'{"QueueUrl": "x", "Label": "l", "AWSAccountIds": ["1"], '
                          b'"Actions": ["*"]}', target="AmazonSQS.AddPermission")
    assert json.loads(response.content)["__type"] == "com.amazonaws.sqs#UnsupportedOperation"


@pytest.mark.asyncio
async def test_bodies_over_the_cap_and_bursts_past_the_bucket_are_refused(rooms, monkeypatch):
    room = await create_room("sqs-playground")
    big = json.dumps({"QueueName": "q", "Pad": "x" * (sqs_api.MAX_BODY + 1)}).encode()
    response = await send(room, big, target="AmazonSQS.CreateQueue")
    assert response.status_code == 413
    monkeypatch.setattr(sqs_api, "_requests", sqs_api.Buckets(1.0, 2.0))
    codes = [json.loads((await send(room, b"{}")).content).get("__type") for _ in range(4)]
    assert codes[:2] == [None, None]
    assert codes[2:] == ["com.amazonaws.sqs#RequestThrottled"] * 2


@pytest.mark.asyncio
async def test_rooms_that_take_no_sqs_requests_say_so(rooms):
    walkthrough = await create_room("walkthrough:why-use-a-queue")
    response = await send(walkthrough, b"{}")
    assert response.status_code == 403
    assert json.loads(response.content)["__type"].endswith("#AccessDenied")
    rabbit = await create_room("rabbitmq-work-queue")
    response = await send(rabbit, b"{}")
    assert response.status_code == 400
    assert json.loads(response.content)["__type"].endswith("#UnsupportedOperation")


def test_query_fields_parse_back_to_what_botocore_serialized():
    """The query names round-trip: botocore's query serializer, fed SQS's model with the
    query protocol's names, writes what ``parse_query`` reads."""
    entries = [{"Id": "a", "MessageBody": "one", "DelaySeconds": 3,
                "MessageAttributes": {"t": {"DataType": "String", "StringValue": "x"}}}]
    fields = {"Action": "SendMessageBatch", "QueueUrl": "u",
              "SendMessageBatchRequestEntry.1.Id": "a",
              "SendMessageBatchRequestEntry.1.MessageBody": "one",
              "SendMessageBatchRequestEntry.1.DelaySeconds": "3",
              "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "t",
              "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "String",
              "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "x"}
    assert sqs_shapes.parse_query("SendMessageBatch", fields) == {"QueueUrl": "u",
                                                                  "Entries": entries}
    assert sqs_shapes.parse_query("CreateQueue", {
        "QueueName": "q", "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "1",
        "Tag.1.Key": "team", "Tag.1.Value": "a"}) == {
        "QueueName": "q", "Attributes": {"DelaySeconds": "1"}, "tags": {"team": "a"}}
    assert create_serializer("json")  # the JSON side is botocore's own


def test_the_xml_answer_uses_the_query_protocols_names():
    xml = sqs_shapes.xml_response("ReceiveMessage", {"Messages": [{
        "MessageId": "m", "Body": "b<", "Attributes": {"SentTimestamp": "1"},
        "MessageAttributes": {"k": {"DataType": "Binary", "BinaryValue": "AQ=="}}}]}, "r")
    assert ("<ReceiveMessageResult><Message><MessageId>m</MessageId><Body>b&lt;</Body>"
            "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"
            "<MessageAttribute><Name>k</Name><Value><BinaryValue>AQ==</BinaryValue>"
            "<DataType>Binary</DataType></Value></MessageAttribute></Message>"
            "</ReceiveMessageResult>") in xml


@pytest.mark.asyncio
async def test_replay_rebuilds_what_real_clients_did(rooms):
    room = await create_room("sqs-playground")
    await send(room, b'{"QueueName": "a"}', target="AmazonSQS.CreateQueue")
    body = json.dumps({"QueueUrl": f"{BASE}/rooms/{room.id}/sqs/000000000000/a",
                       "MessageBody": "hi"}).encode()
    assert (await send(room, body, target="AmazonSQS.SendMessage")).status_code == 200
    again = Room(room.id, find("sqs-playground"), room.seed, OWNER, log=room.log,
                 now=room.sim.now)
    assert again.notice is None
    assert [m.body for m in again.sim.sqs.queues["a"].messages.values()] == ["hi"]


@pytest.mark.asyncio
async def test_a_clients_requests_animate_for_the_rooms_viewers(rooms):
    room = await create_room("sqs-playground")
    socket = await connect(room.id)
    await socket.receive_json_from()  # the snapshot
    await send(room, b'{"QueueName": "a"}', target="AmazonSQS.CreateQueue")
    url = f"{BASE}/rooms/{room.id}/sqs/000000000000/a"
    await send(room, json.dumps({"QueueUrl": url, "MessageBody": "hi"}).encode(),
               target="AmazonSQS.SendMessage")
    response = await send(room, json.dumps({"QueueUrl": url, "WaitTimeSeconds": 1}).encode(),
                          target="AmazonSQS.ReceiveMessage")
    assert [m["Body"] for m in json.loads(response.content)["Messages"]] == ["hi"]
    events = await events_until(socket, lambda event: event["kind"] == "received")
    kinds = [event["kind"] for event in events]
    assert kinds.index("sent") < kinds.index("received")
    received = next(event for event in events if event["kind"] == "received")
    # The client shows as a receiver node of its own.
    assert received["target"] == "sqs:consumer:sdk"
    await socket.disconnect()


@pytest.mark.asyncio
async def test_concurrent_long_polls_run_an_unwatched_rooms_clock_once(rooms):
    room = await create_room("sqs-playground")
    await send(room, b'{"QueueName": "a"}', target="AmazonSQS.CreateQueue")
    body = json.dumps({"QueueUrl": f"{BASE}/rooms/{room.id}/sqs/000000000000/a",
                       "WaitTimeSeconds": 1}).encode()
    started, at = time.monotonic(), room.sim.now
    answers = await asyncio.gather(*(send(room, body, target="AmazonSQS.ReceiveMessage")
                                     for _ in range(3)))
    assert [json.loads(answer.content) for answer in answers] == [{}, {}, {}]
    wall = time.monotonic() - started
    assert wall >= 0.9
    assert room.sim.now - at <= wall + 0.2  # not three times as fast


@pytest.mark.asyncio
async def test_too_many_query_fields_are_refused(rooms):
    room = await create_room("sqs-playground")
    body = urllib.parse.urlencode({"Action": "ListQueues", **{f"x{n}": "1" for n in
                                                               range(sqs_api.MAX_FIELDS + 1)}})
    response = await send(room, body.encode(), target=None)
    assert response.status_code == 400 and b"InvalidParameterValue" in response.content


@pytest.mark.asyncio
async def test_a_failure_of_ours_answers_internal_error(rooms, monkeypatch):
    room = await create_room("sqs-playground")

    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sqs_api, "_read", broken)
    response = await send(room, b"{}")
    assert response.status_code == 500
    assert response["x-amzn-query-error"] == "InternalError;Receiver"
