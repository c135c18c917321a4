"""Queue and exchange arguments as RabbitMQ checks them: refusals word for word, in its order.

RabbitMQ validates ``queue.declare`` arguments in ``rabbit_amqqueue:declare_args/0`` order and
refuses a bad one with ``406 PRECONDITION_FAILED - invalid arg 'K' for queue 'Q' in vhost
'/': E``, where ``E`` is the Erlang term its check returned, printed with ``~p``
(``{value_negative,-1}``, ``"expected integer, got longstr"``, ``invalid_overflow`` ...).
The dead-letter exchange's type is checked before that, by ``rabbit_channel``. Re-declaring
compares only the arguments RabbitMQ knows (``rabbit_amqqueue:assert_args_equivalence``;
exchanges compare ``alternate-exchange`` only) and words a missing one as "none" and a present
one as "the value 'V' of type 'T'" (``rabbit_misc:assert_args_equivalence``). Every text here
was checked against RabbitMQ 3.10 by ``tests/conformance/rabbitmq``; 4.x keeps these checks.

The AMQP type of a value is what pika encodes it as (``pika.data.encode_value``): ``str`` is a
``longstr``, an ``int`` a ``signedint`` (``long`` beyond 32 bits), ``bool`` a ``bool``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import PreconditionFailed

VHOST = "'/'"
OVERFLOWS = ("drop-head", "reject-publish", "reject-publish-dlx")
#: streams are not modelled: "stream" is refused as an unknown type would be
QUEUE_TYPES = ("classic", "quorum")
#: "Priority Queue Support": at most 255 priorities
MAX_PRIORITY = 255


def amqp_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "signedint" if -2**31 <= value < 2**31 else "long"
    if isinstance(value, str | bytes):
        return "longstr"
    if isinstance(value, float):
        return "double"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, list | tuple):
        return "array"
    return "void" if value is None else type(value).__name__


def erlang_text(value: Any) -> str:
    """How ``~p`` prints a check's result: strings quoted, tuples in braces."""
    if isinstance(value, tuple):
        return "{" + ",".join(erlang_text(v) for v in value) + "}"
    if isinstance(value, Text):
        return f'"{value}"'
    return str(value)


class Text(str):
    """An Erlang string (printed in double quotes), as opposed to an atom."""


def _integer(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return Text(f"expected integer, got {amqp_type(value)}")


def _non_negative(value: Any, _args: dict[str, Any]) -> Any:
    error = _integer(value)
    if error is None and value < 0:
        return ("value_negative", value)
    return error


def _expiry(value: Any) -> Any:
    # RabbitMQ 3.10 accepts any size (2**33 ms was taken for x-message-ttl, x-expires and
    # expiration alike): only a negative value is refused
    return ("value_negative", value) if value < 0 else None


def _expires(value: Any, _args: dict[str, Any]) -> Any:
    error = _integer(value)
    if error is None:
        return ("value_zero", value) if value == 0 else _expiry(value)
    return error


def _message_ttl(value: Any, _args: dict[str, Any]) -> Any:
    error = _integer(value)
    return _expiry(value) if error is None else error


def _string(value: Any, _args: dict[str, Any]) -> Any:
    return None if isinstance(value, str) else ("unacceptable_type", amqp_type(value))


def _dead_letter_routing_key(value: Any, args: dict[str, Any]) -> Any:
    if not isinstance(value, str):
        return ("unacceptable_type", amqp_type(value))
    return None if "x-dead-letter-exchange" in args else "routing_key_but_no_dlx_defined"


def _max_priority(value: Any, args: dict[str, Any]) -> Any:
    error = _non_negative(value, args)
    if error is None and value > MAX_PRIORITY:
        return ("max_value_exceeded", value)
    return error


def _overflow(value: Any, _args: dict[str, Any]) -> Any:
    if not isinstance(value, str):
        return ("unacceptable_type", amqp_type(value))
    return None if value in OVERFLOWS else "invalid_overflow"


def _boolean(value: Any, _args: dict[str, Any]) -> Any:
    return None if isinstance(value, bool) else ("unacceptable_type", amqp_type(value))


def _queue_type(value: Any, _args: dict[str, Any]) -> Any:
    if not isinstance(value, str):
        return ("unacceptable_type", amqp_type(value))
    return None if value in QUEUE_TYPES else Text(f"unsupported queue type '{value}'")


def _delivery_limit(value: Any, args: dict[str, Any]) -> Any:
    # RabbitMQ 4.0: -1 lifts a quorum queue's delivery limit (rabbitmq-website PR #2057).
    return None if value == -1 else _non_negative(value, args)


#: rabbit_amqqueue:declare_args/0, in its order (the arguments mqlab models)
DECLARE_ARGS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "x-expires": _expires,
    "x-message-ttl": _message_ttl,
    "x-dead-letter-exchange": _string,
    "x-dead-letter-routing-key": _dead_letter_routing_key,
    "x-max-length": _non_negative,
    "x-max-length-bytes": _non_negative,
    "x-max-priority": _max_priority,
    "x-overflow": _overflow,
    "x-single-active-consumer": _boolean,
    "x-queue-type": _queue_type,
    "x-delivery-limit": _delivery_limit,
    # RabbitMQ 3.12+ ("Consumers" guide, delivery acknowledgement timeout)
    "x-consumer-timeout": _non_negative,
}


def check_queue_arguments(queue: str, args: dict[str, Any]) -> None:
    """Raise RabbitMQ's ``PreconditionFailed`` for the first argument it would refuse."""
    where = f"queue '{queue}' in vhost {VHOST}"
    dlx = args.get("x-dead-letter-exchange")
    if dlx is not None and not isinstance(dlx, str):  # rabbit_channel checks this first
        raise PreconditionFailed(f"invalid type '{amqp_type(dlx)}' for arg "
                                 f"'x-dead-letter-exchange' in {where}")
    for key, check in DECLARE_ARGS.items():
        if key in args:
            error = check(args[key], args)
            if error is not None:
                raise PreconditionFailed(f"invalid arg '{key}' for {where}: "
                                         f"{erlang_text(error)}")


def inequivalent(what: str, name: str, key: str, current: Any, wanted: Any,
                 typed: bool) -> PreconditionFailed:
    """rabbit_misc's wording; ``typed`` for table arguments (a present value shows its type
    when the other side has none)."""
    return PreconditionFailed(
        f"inequivalent arg '{key}' for {what} '{name}' in vhost {VHOST}: received "
        f"{_value(wanted, typed)} but current is {_value(current, typed)}")


def _value(value: Any, typed: bool) -> str:
    if value is None:
        return "none"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"the value '{text}' of type '{amqp_type(value)}'" if typed else f"'{text}'"


def expiration_error(expiration: str) -> str | None:
    """Why RabbitMQ refuses an ``expiration`` property, as ``rabbit_basic:parse_expiration``
    words it: Erlang's ``string:to_integer`` reads an optional sign and digits, and the
    result must be a valid expiry. None when it is valid ("+5" is)."""
    sign = 1 if expiration[:1] != "-" else -1
    body = expiration[1:] if expiration[:1] in "+-" and expiration else expiration
    digits = len(body) - len(body.lstrip("0123456789"))
    if not digits:
        return "no_integer"
    if body[digits:]:
        return erlang_text(("leftover_string", Text(body[digits:])))
    error = _expiry(sign * int(body[:digits]))
    return None if error is None else erlang_text(error)
