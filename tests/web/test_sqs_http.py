"""Real SQS clients drive a room over HTTP (issue 15): boto3 in AWS JSON 1.0, hand-signed
query-protocol requests (botocore's SigV4Auth), against a real daphne in a child process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from mqlab import sources
from mqlab.management.commands._server import Browser, ServerProcess
from mqlab.rooms import Room
from tests.web.npm import npm_client

NS = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("sqs-http")).start()
    yield process
    process.__exit__()


@pytest.fixture
def room(server):
    """A fresh empty SQS room, its controller's browser and the connect.json facts."""
    browser = Browser(server.url)
    room_id = browser.create_room("sqs-playground")
    status, text, _, _ = browser.request(f"/rooms/{room_id}/connect.json")
    assert status == 200
    return browser, room_id, json.loads(text)["sqs"]


def client(facts: dict, **overrides: str):
    return boto3.client("sqs", config=Config(retries={"max_attempts": 1}),
                        **{**facts, **overrides})


def room_log(server: ServerProcess, room_id: str) -> tuple[list, int]:
    """The room's command log as the server keeps it (its record and its journal)."""
    with closing(sqlite3.connect(server.data_dir / "mqlab.sqlite3")) as db:
        log, seed = db.execute("select log, seed from mqlab_roomrecord where id = ?",
                               (room_id,)).fetchone()
        entries = db.execute('select entry from mqlab_commandentry where room_id = ? '
                             'order by "index"', (room_id,)).fetchall()
    return json.loads(log) + [json.loads(entry) for (entry,) in entries], seed


def test_connect_json_is_for_the_controller_only(server, room):
    _, room_id, facts = room
    assert facts["aws_access_key_id"] == room_id
    assert facts["endpoint_url"] == f"{server.url}/rooms/{room_id}/sqs"
    assert len(facts["aws_secret_access_key"]) >= 32 and facts["region_name"]
    status, text, _, _ = Browser(server.url).request(f"/rooms/{room_id}/connect.json")
    assert status == 403 and facts["aws_secret_access_key"] not in text


def test_boto3_work_queue_with_long_poll_and_dlq(server, room):
    browser, room_id, facts = room
    sqs = client(facts)
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    assert dlq == f"{facts['endpoint_url']}/000000000000/orders-dlq"
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="orders", Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    })["QueueUrl"]
    assert sqs.list_queues()["QueueUrls"] == [dlq, url]
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url

    # A long poll on an empty queue ends empty after its wait, in the room's time.
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert 0.8 < time.monotonic() - started < 10

    sent = sqs.send_message(QueueUrl=url, MessageBody="hello",
                            MessageAttributes={"tenant": {"DataType": "String",
                                                          "StringValue": "acme"}})
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MessageAttributeNames=["All"],
                              MessageSystemAttributeNames=["All"])["Messages"]
    assert [m["MessageId"] for m in got] == [sent["MessageId"]]
    assert got[0]["Body"] == "hello"
    assert got[0]["MessageAttributes"]["tenant"]["StringValue"] == "acme"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])

    # A poison message: received twice, never deleted; the third receive moves it to the DLQ.
    poison = sqs.send_message(QueueUrl=url, MessageBody="poison")["MessageId"]
    for attempt in (1, 2):
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5,
                                  MessageSystemAttributeNames=["ApproximateReceiveCount"])
        assert got["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    moved = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=2)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"] and moved[0]["MessageId"] == poison
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url]

    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}])
    assert sorted(e["Id"] for e in batch["Successful"]) == ["a", "b"]
    sqs.purge_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)

    # Every request entered the room's log as an ``api`` command, with the model's URLs,
    # and the log replays to the same state.
    log, seed = room_log(server, room_id)
    assert [entry[1] for entry in log] == ["api"] * len(log) and len(log) >= 15
    assert log[0][2] == {"action": "CreateQueue", "params": {"QueueName": "orders-dlq"},
                         "client": "boto3"}
    assert any(entry[2]["params"].get("QueueUrl") ==
               "https://sqs.us-east-1.amazonaws.com/000000000000/orders" for entry in log)
    replayed = Room(room_id, sources.find("sqs-playground"), seed, "owner", log=log,
                    now=log[-1][0])
    assert replayed.notice is None
    assert list(replayed.sim.sqs.queues) == ["orders-dlq"]
    assert [m.body for m in replayed.sim.sqs.queues["orders-dlq"].messages.values()] == \
        ["poison"]


def test_errors_in_aws_codes(server, room):
    _, room_id, facts = room
    sqs = client(facts)
    missing = f"{facts['endpoint_url']}/000000000000/nope"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as error:
        sqs.send_message(QueueUrl=missing, MessageBody="x")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # As from AWS: botocore shows the query protocol's code, and keeps the JSON one.
    assert error.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as error:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert error.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"

    with pytest.raises(ClientError) as error:
        client(facts, aws_secret_access_key="wrong" * 7).list_queues()
    assert error.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as error:
        client(facts, aws_access_key_id="someone-else").list_queues()
    assert error.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def query(facts: dict, fields: dict[str, str], url: str | None = None,
          secret: str | None = None) -> tuple[int, ET.Element, dict]:
    """A query-protocol request as older SDKs send it, signed with botocore's SigV4Auth."""
    body = urllib.parse.urlencode({**fields, "Version": "2012-11-05"}).encode()
    request = AWSRequest("POST", url or facts["endpoint_url"] + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    credentials = Credentials(facts["aws_access_key_id"],
                              secret or facts["aws_secret_access_key"])
    SigV4Auth(credentials, "sqs", facts["region_name"]).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, prepared.body, dict(prepared.headers),
                                  method="POST")
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            return response.status, ET.fromstring(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read()), dict(error.headers)


def test_query_protocol_speaks_xml_in_aws_shapes(server, room):
    _, _, facts = room
    status, xml, _ = query(facts, {"Action": "CreateQueue", "QueueName": "jobs",
                                   "Attribute.1.Name": "VisibilityTimeout",
                                   "Attribute.1.Value": "7"})
    assert status == 200
    url = xml.findtext("sqs:CreateQueueResult/sqs:QueueUrl", namespaces=NS)
    assert url == f"{facts['endpoint_url']}/000000000000/jobs"
    assert xml.findtext("sqs:ResponseMetadata/sqs:RequestId", namespaces=NS)

    status, xml, _ = query(facts, {"Action": "GetQueueAttributes", "QueueUrl": url,
                                   "AttributeName.1": "VisibilityTimeout"})
    attributes = {a.findtext("sqs:Name", namespaces=NS): a.findtext("sqs:Value", namespaces=NS)
                  for a in xml.findall("sqs:GetQueueAttributesResult/sqs:Attribute", NS)}
    assert attributes == {"VisibilityTimeout": "7"}

    status, xml, _ = query(facts, {"Action": "SendMessage", "MessageBody": "from query",
                                   "MessageAttribute.1.Name": "kind",
                                   "MessageAttribute.1.Value.DataType": "String",
                                   "MessageAttribute.1.Value.StringValue": "legacy"},
                           url=url)  # posted to the queue's URL, as old SDKs do
    assert status == 200
    assert xml.findtext("sqs:SendMessageResult/sqs:MessageId", namespaces=NS)
    status, xml, _ = query(facts, {"Action": "ReceiveMessage", "QueueUrl": url,
                                   "WaitTimeSeconds": "2", "MessageAttributeName.1": "All",
                                   "AttributeName.1": "All"})
    messages = xml.findall("sqs:ReceiveMessageResult/sqs:Message", NS)
    assert [m.findtext("sqs:Body", namespaces=NS) for m in messages] == ["from query"]
    attribute = messages[0].find("sqs:MessageAttribute", NS)
    assert attribute.findtext("sqs:Name", namespaces=NS) == "kind"
    assert attribute.findtext("sqs:Value/sqs:StringValue", namespaces=NS) == "legacy"
    handle = messages[0].findtext("sqs:ReceiptHandle", namespaces=NS)
    status, xml, _ = query(facts, {"Action": "DeleteMessageBatch", "QueueUrl": url,
                                   "DeleteMessageBatchRequestEntry.1.Id": "d1",
                                   "DeleteMessageBatchRequestEntry.1.ReceiptHandle": handle})
    assert xml.findtext("sqs:DeleteMessageBatchResult/sqs:DeleteMessageBatchResultEntry/"
                        "sqs:Id", namespaces=NS) == "d1"

    status, xml, _ = query(facts, {"Action": "GetQueueUrl", "QueueName": "nope"})
    assert status == 400
    assert xml.findtext("sqs:Error/sqs:Code", namespaces=NS) == \
        "AWS.SimpleQueueService.NonExistentQueue"
    assert xml.findtext("sqs:Error/sqs:Type", namespaces=NS) == "Sender"
    status, xml, _ = query(facts, {"Action": "ListQueues"}, secret="x" * 32)
    assert status == 403
    assert xml.findtext("sqs:Error/sqs:Code", namespaces=NS) == "SignatureDoesNotMatch"


def test_a_long_poll_returns_as_soon_as_a_message_arrives(server, room):
    _, _, facts = room
    sqs = client(facts)
    url = sqs.create_queue(QueueName="waits")["QueueUrl"]
    answers: list[dict] = []
    started = time.monotonic()
    poller = threading.Thread(target=lambda: answers.append(
        client(facts).receive_message(QueueUrl=url, WaitTimeSeconds=20)))
    poller.start()
    time.sleep(1.0)  # the poll waits meanwhile; the server serves other requests
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    poller.join(15)
    assert [m["Body"] for m in answers[0]["Messages"]] == ["wake up"]
    assert time.monotonic() - started < 8


#: Installed by ``scripts/setup.sh --for-tests`` into a folder of its own (it pins botocore).
AWS_CLI = Path(__file__).resolve().parents[2] / ".venv" / "awscli"
AWS = [sys.executable, "-m", "awscli"]


def test_the_aws_cli_drives_the_room(server, room):
    assert (AWS_CLI / "awscli").is_dir(), "run scripts/setup.sh --for-tests: it installs the CLI"
    _, _, facts = room
    env = {**os.environ, "PYTHONPATH": str(AWS_CLI),
           "AWS_ACCESS_KEY_ID": facts["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": facts["aws_secret_access_key"],
           "AWS_DEFAULT_REGION": facts["region_name"], "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}

    def aws(*args: str) -> dict:
        done = subprocess.run([*AWS, "sqs", *args, "--endpoint-url",
                               facts["endpoint_url"], "--output", "json"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout or "{}")

    url = aws("create-queue", "--queue-name", "cli")["QueueUrl"]
    assert url == f"{facts['endpoint_url']}/000000000000/cli"
    aws("send-message", "--queue-url", url, "--message-body", "from the cli")
    got = aws("receive-message", "--queue-url", url, "--wait-time-seconds", "2")
    assert [m["Body"] for m in got["Messages"]] == ["from the cli"]
    aws("delete-message", "--queue-url", url, "--receipt-handle",
        got["Messages"][0]["ReceiptHandle"])
    env["AWS_SECRET_ACCESS_KEY"] = "not-the-token"
    done = subprocess.run([*AWS, "sqs", "list-queues", "--endpoint-url",
                           facts["endpoint_url"]], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "SignatureDoesNotMatch" in done.stderr


@pytest.fixture(scope="module")
def aws_sdk_js(tmp_path_factory):
    """A folder with @aws-sdk/client-sqs from the npm registry (skips without node)."""
    return npm_client(tmp_path_factory, "@aws-sdk/client-sqs", "sqs_aws_sdk_js.mjs")


def test_the_aws_sdk_for_javascript_drives_the_room(server, room, aws_sdk_js):
    _, _, facts = room
    done = subprocess.run(["node", "sqs_aws_sdk_js.mjs", json.dumps(facts)], cwd=aws_sdk_js,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    saw = json.loads(done.stdout)
    assert saw == {"QueueUrl": f"{facts['endpoint_url']}/000000000000/node",
                   "bodies": ["from node"], "bin": [1, 2, 3], "error": "QueueDoesNotExist"}
