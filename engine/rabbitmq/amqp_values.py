"""Limits on AMQP 0-9-1 values that the client library enforces before anything is sent.

Names (exchange, queue), routing and binding keys, consumer tags, header names and most
message properties are AMQP ``shortstr``: a one-octet length, then at most 255 octets of
UTF-8 (AMQP 0-9-1 specification, 4.2.5.3 "Short strings"). pika refuses a longer one while
encoding the frame (``pika/data.py``, ``encode_short_string`` raises
``pika.exceptions.ShortStringTooLong``), so the broker never sees it and the channel stays
open. RabbitMQ documents the bound for names: "Queue names may be up to 255 bytes of UTF-8
characters" ("AMQP 0-9-1 Model Explained", queue names,
https://www.rabbitmq.com/tutorials/amqp-concepts#queue-names); the broker cannot even receive a
longer one, as its frame parser reads a shortstr's length from one octet. The bound counts
bytes, not characters: 100 "é" are 200 bytes, 64 emoji are 256.

Field tables (headers, arguments) nest: a value may be a table or an array. They may nest at
most ``engine.nesting.MAX_NESTING`` levels, mqlab's own bound (see ``engine/nesting.py``: a
header nested 500 deep made a room's replay raise RecursionError). Field names are short
strings too.
"""

from __future__ import annotations

import reprlib
from typing import Any

from ..nesting import MAX_NESTING, containers
from .errors import InvalidArgument, ShortStringTooLong

MAX_SHORTSTR = 255
#: a UTF-8 character is at most 4 bytes, so a string this short needs no encoding to check
_SURELY_SHORT = MAX_SHORTSTR // 4


def check_shortstr(what: str, value: Any) -> None:
    """``value`` fits an AMQP short string, else InvalidArgument / ShortStringTooLong."""
    if not isinstance(value, str):
        # reprlib: a bounded repr, as the value may nest without bound
        raise InvalidArgument(f"{what}={reprlib.repr(value)}: give a string")
    if len(value) <= _SURELY_SHORT:
        return
    try:
        size = len(value.encode())
    except UnicodeEncodeError:  # a lone surrogate: pika's encode would fail the same way
        raise InvalidArgument(f"{what} is not valid Unicode text") from None
    if size > MAX_SHORTSTR:
        raise ShortStringTooLong(
            f"{what} is {size} bytes long in UTF-8; an AMQP short string holds at most "
            f"{MAX_SHORTSTR} bytes (pika raises ShortStringTooLong before sending)")


def check_table(what: str, table: dict[str, Any]) -> None:
    """Field names are short strings and tables or arrays nest at most MAX_NESTING deep."""
    for value, depth in containers(table):
        if depth > MAX_NESTING:
            raise InvalidArgument(
                f"{what} nests tables or arrays more than {MAX_NESTING} levels deep; "
                f"mqlab accepts at most {MAX_NESTING}")
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, str):
                    check_shortstr(f"{what} field name", key)
