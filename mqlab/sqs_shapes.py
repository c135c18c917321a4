"""SQS's request and response shapes on the wire, read from botocore's service model.

botocore ships SQS's service model (``botocore/data/sqs/2012-11-05/service-2.json``): every
action's input and output shapes, member names and types. Both of SQS's protocols are
driven by it here, so no action is hand-written:

- AWS JSON 1.0 (what current SDKs send): the body is the input structure with the model's
  member names; blobs are base64 text.
- The query protocol (form-encoded ``Action=...``, XML answers; older SDKs and the AWS CLI
  v1 before 2023). Its names come from the model SQS had before it moved to JSON:
  flattened lists and maps under a singular name (``Attribute.1.Name`` /
  ``Attribute.1.Value``, ``AttributeName.1``, ``MessageAttribute.1.Value.StringValue``, a
  batch's ``SendMessageBatchRequestEntry.1.Id``), and the same names in the XML answers
  (``<Message>`` repeated inside ``<ReceiveMessageResult>``).
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"
#: The query protocol's name of a flattened map's key and value, per map member.
_MAP_NAMES = {"tags": ("Key", "Value"), "Tags": ("Key", "Value")}
#: List members whose query name is not the member name without its final "s".
_LIST_NAMES = {"queueUrls": "QueueUrl"}


@cache
def service() -> Any:
    import botocore.session  # only the SQS endpoint needs it

    return botocore.session.get_session().get_service_model("sqs")


def operation(action: str) -> Any | None:
    """The model of an action (``"SendMessage"``), or None when SQS has no such action."""
    if action not in service().operation_names:
        return None
    return service().operation_model(action)


def _list_name(member: str, shape: Any) -> str:
    if shape.member.type_name == "structure":
        return shape.member.name  # SendMessageBatchRequestEntry, Message, ...
    return _LIST_NAMES.get(member, member[:1].upper() + member[1:].removesuffix("s"))


def _map_name(member: str) -> str:
    return "Tag" if member.lower() == "tags" else member.removesuffix("s")


# -- the query protocol: form fields -> the input structure ----------------------------------

def parse_query(action: str, fields: dict[str, str]) -> dict[str, Any]:
    """The form fields of a query-protocol request as the action's input (boto3's names)."""
    op = operation(action)
    shape = op.input_shape if op is not None else None
    return {} if shape is None else _structure(shape, fields, "")


def _structure(shape: Any, fields: dict[str, str], prefix: str) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for name, member in shape.members.items():
        found = _member(name, member, fields, prefix)
        if found is not None:
            value[name] = found
    return value


def _member(name: str, shape: Any, fields: dict[str, str], prefix: str) -> Any:
    kind = shape.type_name
    if kind == "list":
        return _list(f"{prefix}{_list_name(name, shape)}", shape, fields)
    if kind == "map":
        return _map(f"{prefix}{_map_name(name)}", name, shape, fields)
    if kind == "structure":
        inner = f"{prefix}{name}."
        if not any(key.startswith(inner) for key in fields):
            return None
        return _structure(shape, fields, inner)
    raw = fields.get(f"{prefix}{name}")
    return None if raw is None else _scalar(shape, raw)


def _list(base: str, shape: Any, fields: dict[str, str]) -> list[Any] | None:
    items = []
    for index in range(1, 1001):
        key = f"{base}.{index}"
        if shape.member.type_name == "structure":
            if not any(k.startswith(key + ".") for k in fields):
                break
            items.append(_structure(shape.member, fields, key + "."))
        else:
            if key not in fields:
                break
            items.append(_scalar(shape.member, fields[key]))
    if not items:
        return [] if fields.get(base) == "" else None
    return items


def _map(base: str, member: str, shape: Any, fields: dict[str, str]) -> dict[str, Any] | None:
    key_name, value_name = _MAP_NAMES.get(member, ("Name", "Value"))
    value: dict[str, Any] = {}
    for index in range(1, 1001):
        key = fields.get(f"{base}.{index}.{key_name}")
        if key is None:
            break
        item_prefix = f"{base}.{index}.{value_name}"
        if shape.value.type_name == "structure":
            value[key] = _structure(shape.value, fields, item_prefix + ".")
        else:
            value[key] = _scalar(shape.value, fields.get(item_prefix, ""))
    return value or None


def _scalar(shape: Any, raw: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            return raw  # the model answers InvalidParameterValue
    if kind == "boolean":
        return raw.lower() == "true"
    return raw  # strings, and blobs as base64 text (decoded with the JSON ones)


# -- blobs: base64 on the wire, bytes in the model ---------------------------------------------

def decode_blobs(shape: Any, value: Any) -> Any:
    """The wire's base64 blobs as bytes (what the model takes); bad base64 stays text and the
    model refuses it."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return value
    if kind == "structure" and isinstance(value, dict):
        return {k: decode_blobs(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [decode_blobs(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: decode_blobs(shape.value, v) for k, v in value.items()}
    return value


def encode_blobs(value: Any) -> Any:
    """A model response with its bytes as base64 text (JSON and XML carry blobs so)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: encode_blobs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode_blobs(v) for v in value]
    return value


# -- the query protocol: the output structure -> XML --------------------------------------------

def xml_response(action: str, result: dict[str, Any], request_id: str) -> str:
    op = operation(action)
    shape = op.output_shape if op is not None else None
    body = "" if shape is None else "".join(_xml_members(shape, result))
    return (f'<?xml version="1.0"?><{action}Response xmlns="{XMLNS}"><{action}Result>{body}'
            f"</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId>"
            f"</ResponseMetadata></{action}Response>")


def xml_error(code: str, message: str, request_id: str, sender: bool = True) -> str:
    return (f'<?xml version="1.0"?><ErrorResponse xmlns="{XMLNS}"><Error><Type>'
            f"{'Sender' if sender else 'Receiver'}</Type><Code>{escape(code)}</Code><Message>"
            f"{escape(message)}</Message><Detail/></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>")


def _xml_members(shape: Any, value: dict[str, Any]) -> list[str]:
    parts = []
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            parts.extend(_xml(name, member, value[name]))
    return parts


def _xml(name: str, shape: Any, value: Any) -> list[str]:
    kind = shape.type_name
    if kind == "list":
        tag = _list_name(name, shape)
        return [part for item in value for part in _xml(tag, shape.member, item)]
    if kind == "map":
        key_name, value_name = _MAP_NAMES.get(name, ("Name", "Value"))
        tag = _map_name(name)
        return [f"<{tag}><{key_name}>{escape(str(k))}</{key_name}>"
                + "".join(_xml(value_name, shape.value, v)) + f"</{tag}>"
                for k, v in value.items()]
    if kind == "structure":
        return [f"<{name}>{''.join(_xml_members(shape, value))}</{name}>"]
    text = ("true" if value else "false") if kind == "boolean" else str(value)
    return [f"<{name}>{escape(text)}</{name}>"]
