"""Each room answers Amazon SQS's API at ``/rooms/<room id>/sqs/``: real clients drive it.

boto3 (``endpoint_url=<base>/rooms/<room id>/sqs``, access key id = the room id, secret key
= the room's token), the AWS CLI with ``--endpoint-url`` and other SDKs talk to the room as
to SQS. Both of SQS's protocols are spoken: AWS JSON 1.0 (``X-Amz-Target:
AmazonSQS.<Action>``, what current SDKs send) and the older query protocol (form-encoded
``Action=...``, XML answers); the shapes come from botocore's model (``mqlab.sqs_shapes``).

- Authentication is AWS Signature Version 4, checked as AWS checks it: the canonical request,
  the string to sign and the HMAC chain keyed with the room's token. An unknown access key
  id answers ``InvalidClientTokenId``, a wrong signature ``SignatureDoesNotMatch`` (HTTP
  403), each in the protocol's error shape ("Signature Version 4 signing process", AWS
  General Reference; "Common Errors", SQS API Reference).
- Every request is one ``api`` command of the room (``mqlab.commands.sqs``), run through
  ``Room.run_command`` off the event loop: it enters the room's log, so replay, saves and
  sharing keep working, and its events animate like any other; receives show on a receiver
  node named after the client ("boto3", "aws-cli").
- Queue URLs point back at the room: ``<base>/rooms/<room id>/sqs/000000000000/<name>``; the
  log keeps the model's own URLs, so a room replays whatever host served it.
- A long poll (WaitTimeSeconds) waits in the room's virtual time: the view awaits, looking
  every frame (40 ms) whether the model answered; it never holds a thread while it waits. A
  room nobody watches has no runner, so the view moves its clock itself. A wait that would
  outlast the SDKs' read timeout (a paused or slowed room) ends empty after at most 50 s of
  wall time (the model may still hand the waiting receive a message later, which then
  reappears after its visibility timeout, as when a client goes away mid-poll).
- Error codes and statuses are SQS's: JSON errors carry ``__type``
  (``com.amazonaws.sqs#QueueDoesNotExist``) and the ``x-amzn-query-error`` header with the
  query protocol's code (``AWS.SimpleQueueService.NonExistentQueue;Sender``).

Not supported: presigned URLs, and AddPermission, RemovePermission, TagQueue, UntagQueue
(the model has no permissions or tag changes): they answer ``UnsupportedOperation``.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
import weakref
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from engine.sqs.queue import ACCOUNT, REGION, URL_PREFIX
from mqlab import sqs_shapes
from mqlab.amqp import rooms as amqp_rooms
from mqlab.commands.sqs import API_ACTIONS
from mqlab.kafka import listener as kafka_listener
from mqlab.rooms import RoomNotFound, client_id, offloop, realclients, registry
from mqlab.throttle import Buckets

logger = logging.getLogger("mqlab.rooms")
JSON_TYPE = "application/x-amz-json-1.0"
#: Request bodies past this are refused (SQS's own cap on a request is 1 MiB of message).
MAX_BODY = getattr(settings, "MQLAB_SQS_MAX_BODY", 1024 * 1024 + 64 * 1024)
#: Form fields a query-protocol request may have (a full batch of ten messages with ten
#: attributes each needs about 400).
MAX_FIELDS = 2000
#: How often a waiting long poll looks at the room (one frame).
FRAME_SECONDS = 0.04
#: The longest wall time a long poll is held: SDKs time out reads after 60 s.
MAX_HOLD_SECONDS = 50.0
#: How far a request's X-Amz-Date may be from the server's clock (AWS: 15 minutes).
MAX_SKEW = datetime.timedelta(minutes=15)
_AUTH = re.compile(r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/"
                   r"(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/aws4_request,\s*"
                   r"SignedHeaders=(?P<headers>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]+)$")
#: The query protocol's codes where they differ from the JSON ones (SQS's model before its
#: move to JSON: each error shape's awsQueryError code).
QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}
#: Errors AWS answers from its front door rather than from SQS: (``__type`` namespace).
_SERVICE_ERRORS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
                   "MissingAuthenticationToken", "UnknownOperationException",
                   "AccessDenied", "ServiceUnavailable", "RequestEntityTooLarge"}

#: Requests per room token per second (the socket's and the forms' bucket).
_requests = Buckets(getattr(settings, "MQLAB_SOCKET_FRAMES_PER_SECOND", 20.0),
                    getattr(settings, "MQLAB_SOCKET_FRAMES_BURST", 40.0))


#: When each room without a runner last had its clock moved by a waiting long poll.
_driven: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True):
        super().__init__(message)
        self.code, self.message, self.status, self.sender = code, message, status, sender


# -- the view -------------------------------------------------------------------------------

@csrf_exempt
async def endpoint(request: HttpRequest, room_id: str, rest: str | None = None) -> HttpResponse:
    query = "X-Amz-Target" not in request.headers
    request_id = str(uuid.uuid4())
    try:
        length = request.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY:
            raise ApiError("RequestEntityTooLarge", f"The request body is {length} bytes; at "
                           f"most {MAX_BODY} are accepted", 413)
        try:
            body = request.body
        except RequestDataTooBig:  # a body sent without its length
            raise ApiError("RequestEntityTooLarge", "The request body is too large", 413) \
                from None
        try:
            room = await registry.aget(room_id)
        except RoomNotFound:
            room = None
        check_signature(request, body, room_id, room.token if room else None)
        assert room is not None
        if not any(command.name == "api" for command in room.kit.commands):
            raise ApiError("UnsupportedOperation", f"Room {room_id} is a {room.kit.broker} "
                           "room: it has no SQS endpoint")
        if not _requests.take(room.token):
            raise ApiError("RequestThrottled", "Too many requests to this room: slow down")
        action, params = _read(request, body, query, rest)
        # Drawn as a node (SQS's receiver node of that name) until it has been quiet a while.
        realclients.seen(room, _client_name(request), "sqs")
        base = request.build_absolute_uri(f"/rooms/{room_id}/sqs")
        params = _inbound(params, room_id)
        response = await _call(room, action, params, _client_name(request))
        response = sqs_shapes.encode_blobs(_outbound(response, base))
    except ApiError as error:
        return _error(error, query, request_id)
    except Exception:  # our bug: the client hears SQS's InternalError, the log the details
        logger.exception("room %s: SQS request %s failed", room_id, request_id)
        return _error(ApiError("InternalError", "We encountered an internal error. Please try "
                               "again.", 500, sender=False), query, request_id)
    if query:
        return HttpResponse(sqs_shapes.xml_response(action, response, request_id),
                            content_type="text/xml", headers={"x-amzn-RequestId": request_id})
    return HttpResponse(json.dumps(response), content_type=JSON_TYPE,
                        headers={"x-amzn-RequestId": request_id})


def _read(request: HttpRequest, body: bytes, query: bool,
          rest: str | None) -> tuple[str, dict[str, Any]]:
    """The action and its parameters, in boto3's names, from either protocol."""
    if not query:
        target = request.headers["X-Amz-Target"]
        prefix, _, action = target.partition(".")
        if prefix != "AmazonSQS" or sqs_shapes.operation(action) is None:
            raise ApiError("UnknownOperationException", f"Unknown operation {target!r}")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise ApiError("SerializationException", "The request body is not JSON") from None
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "The request body is not a JSON object")
    else:
        try:
            fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                                    max_num_fields=MAX_FIELDS)) \
                if request.method == "POST" else {}
            fields.update(parse_qsl(request.META.get("QUERY_STRING", ""),
                                    keep_blank_values=True, max_num_fields=MAX_FIELDS))
        except ValueError:
            raise ApiError("InvalidParameterValue", f"A request has at most {MAX_FIELDS} "
                           "parameters") from None
        action = fields.get("Action", "")
        if sqs_shapes.operation(action) is None:
            raise ApiError("InvalidAction", f"The action or operation requested is invalid: "
                           f"{action!r}")
        params = sqs_shapes.parse_query(action, fields)
        if rest and "QueueUrl" in _members(action) and "QueueUrl" not in params:
            # The query protocol may name the queue by the URL it is posted to.
            params["QueueUrl"] = f"{URL_PREFIX}{rest.split('/', 1)[-1]}"
    if action not in API_ACTIONS:
        raise ApiError("UnsupportedOperation", f"{action} is not modelled in mqlab's SQS")
    return action, params


def _members(action: str) -> Any:
    op = sqs_shapes.operation(action)
    return op.input_shape.members if op is not None and op.input_shape else {}


def _client_name(request: HttpRequest) -> str:
    agent = request.headers.get("User-Agent", "")
    for prefix, name in (("aws-cli", "aws-cli"), ("Boto3", "boto3"), ("Botocore", "botocore"),
                         ("aws-sdk-js", "aws-sdk-js")):
        if agent.startswith(prefix) or f" {prefix}" in agent:
            return name
    return "sdk"


# -- queue URLs: the room's on the wire, the model's in the log ----------------------------

def _model_url(url: Any, room_id: str) -> Any:
    if not isinstance(url, str):
        return url
    path = urlsplit(url).path
    prefix = f"/rooms/{room_id}/sqs/"
    if path.startswith(prefix):
        account, _, name = path[len(prefix):].partition("/")
        if account == ACCOUNT and name and "/" not in name:
            return URL_PREFIX + name
    return url


def _inbound(params: dict[str, Any], room_id: str) -> dict[str, Any]:
    if "QueueUrl" in params:
        params = {**params, "QueueUrl": _model_url(params["QueueUrl"], room_id)}
    return params


def _outbound(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return f"{base}/{ACCOUNT}/{value[len(URL_PREFIX):]}" \
            if value.startswith(URL_PREFIX) else value
    if isinstance(value, dict):
        return {k: _outbound(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_outbound(v, base) for v in value]
    return value


# -- running the request in the room --------------------------------------------------------

def _run(room: Any, action: str, params: dict[str, Any], client: str) -> tuple[Any, Any]:
    """On a room worker thread: the ``api`` command, and the answer it left."""
    with room.lock:
        lab = room.lab
        lab.last_call = None
        outcome = room.run_command(room.owner, "api", {"action": action, "params": params,
                                                       "client": client})
        return outcome, room.lab.last_call if room.lab is lab else None


async def _call(room: Any, action: str, params: dict[str, Any], client: str) -> dict:
    outcome, call = await offloop.call(room, _run, room, action, params, client)
    if call is None or (not outcome.ok and call.error is None and not call.done):
        code, status = {"busy": ("ServiceUnavailable", 503),
                        "not-allowed": ("AccessDenied", 403)}.get(
            outcome.code or "", ("InvalidParameterValue", 400))
        raise ApiError(code, outcome.message, status)
    if call.error is not None:
        raise _engine_error(call.error)
    if not call.done:
        await _wait(room, call, params)
    return call.response or {}


async def _wait(room: Any, call: Any, params: dict[str, Any]) -> None:
    """A long poll: look every frame until the model answers, moving the clock of a room
    no runner paces."""
    wait = params.get("WaitTimeSeconds")
    wait = wait if isinstance(wait, int) else 20
    deadline = time.monotonic() + min(MAX_HOLD_SECONDS, wait / max(room.speed, 0.01) + 2.0)
    while not call.done and time.monotonic() < deadline:
        await asyncio.sleep(FRAME_SECONDS)
        if room.runner is None or room.runner.done():
            await _drive(room)


async def _drive(room: Any) -> None:
    """Move the clock of a room no runner paces by the wall time since it was last moved
    (however many polls wait on it: the clock runs once, at the room's speed)."""
    now = time.monotonic()
    elapsed = min(now - _driven.get(room, now - FRAME_SECONDS), 4 * FRAME_SECONDS)
    _driven[room] = now  # on the event loop: the next poll sees it at once
    if elapsed > 0:
        await offloop.call(room, room.tick, elapsed)


def _engine_error(error: Exception) -> ApiError:
    code = getattr(error, "code", "InternalError")
    if code in ("InvalidArgument", "EngineError", "NotFound"):
        code = "InvalidParameterValue"
    return ApiError(code, getattr(error, "message", str(error)))


def _error(error: ApiError, query: bool, request_id: str) -> HttpResponse:
    query_code = QUERY_CODES.get(error.code, error.code)
    fault = "Sender" if error.sender else "Receiver"
    if query:
        return HttpResponse(sqs_shapes.xml_error(query_code, error.message, request_id,
                                                 error.sender),
                            status=error.status, content_type="text/xml",
                            headers={"x-amzn-RequestId": request_id})
    namespace = "com.amazon.coral.service" if error.code in _SERVICE_ERRORS \
        else "com.amazonaws.sqs"
    return HttpResponse(json.dumps({"__type": f"{namespace}#{error.code}",
                                    "message": error.message}),
                        status=error.status, content_type=JSON_TYPE,
                        headers={"x-amzn-RequestId": request_id,
                                 "x-amzn-query-error": f"{query_code};{fault}"})


# -- Signature Version 4 --------------------------------------------------------------------

def check_signature(request: HttpRequest, body: bytes, access_key: str,
                    secret: str | None) -> None:
    """Raise ApiError unless ``request`` is signed with ``secret`` for key ``access_key``."""
    header = request.headers.get("Authorization")
    if not header:
        raise ApiError("MissingAuthenticationToken", "Request is missing Authentication Token",
                       403)
    match = _AUTH.match(header.strip())
    if match is None:
        raise ApiError("IncompleteSignature", "The request signature does not conform to "
                       "AWS standards (AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., "
                       "Signature=...)", 403)
    if secret is None or not hmac.compare_digest(match["key"], access_key):
        raise ApiError("InvalidClientTokenId", "The security token included in the request is "
                       "invalid.", 403)
    amz_date = request.headers.get("X-Amz-Date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC)
    except ValueError:
        raise ApiError("IncompleteSignature", "X-Amz-Date is missing or malformed", 403) \
            from None
    now = datetime.datetime.now(datetime.UTC)
    if abs(now - when) > MAX_SKEW:
        raise ApiError("SignatureDoesNotMatch", f"Signature expired: {amz_date} is now earlier "
                       f"than {(now - MAX_SKEW):%Y%m%dT%H%M%SZ}", 403)
    if not amz_date.startswith(match["date"]):
        raise ApiError("SignatureDoesNotMatch", "The credential's date is not the request's",
                       403)
    expected = signature(request, body, secret, amz_date, match["date"], match["region"],
                         match["service"], match["headers"])
    if not hmac.compare_digest(expected, match["signature"]):
        raise ApiError("SignatureDoesNotMatch", "The request signature we calculated does not "
                       "match the signature you provided. Check your AWS Secret Access Key and "
                       "signing method. Consult the service documentation for details.", 403)


def signature(request: HttpRequest, body: bytes, secret: str, amz_date: str, date: str,
              region: str, service: str, signed_headers: str) -> str:
    names = signed_headers.split(";")
    headers = "".join(f"{name}:{' '.join((request.headers.get(name) or '').split())}\n"
                      for name in names)
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~"))
                   for k, v in parse_qsl(request.META.get("QUERY_STRING", ""),
                                         keep_blank_values=True))
    canonical = "\n".join([
        request.method or "GET", quote(quote(request.path, safe="/~"), safe="/~"),
        "&".join(f"{k}={v}" for k, v in pairs), headers, signed_headers,
        hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


# -- what the controller connects with --------------------------------------------------------

@require_GET
def connect(request: HttpRequest, room_id: str) -> HttpResponse:
    """``{"sqs": {...}, "amqp": {...}}``: endpoints and credentials, for the room's
    controller only."""
    try:
        room = registry.get(room_id)
    except RoomNotFound:
        return JsonResponse({"error": f"no room {room_id!r}"}, status=404)
    if client_id(request.session) != room.owner:
        return JsonResponse({"error": "only the room's controller gets its credentials"},
                            status=403)
    return JsonResponse({"sqs": {
        "endpoint_url": request.build_absolute_uri(f"/rooms/{room_id}/sqs"),
        "aws_access_key_id": room.id, "aws_secret_access_key": room.token,
        "region_name": REGION}, "amqp": amqp_rooms.connect_facts(request, room),
        "kafka": kafka_listener.connect_facts(request, room)})
