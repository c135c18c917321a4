"""Cases: publishing and routing — exchange types, headers matching, exchange-to-exchange
bindings, alternate exchanges, mandatory returns, publisher confirms and publish errors.

"Exchanges" guide (https://www.rabbitmq.com/docs/exchanges), "Alternate Exchanges",
"Exchange to Exchange Bindings", "Publishers" (unroutable messages) and "Consumer
Acknowledgements and Publisher Confirms".
"""

from __future__ import annotations

from typing import Any

from .cases_limits import drain
from .harness import Side, case


def bound(b: Side, ch: Any, exchange: str, *keys: str, label: str = "q") -> str:
    q = b.name(label)
    ch.queue_declare(q)
    for key in keys:
        ch.queue_bind(q, exchange, routing_key=key)
    return q


@case("route-default-exchange")
def default(b: Side) -> None:
    ch = b.channel()
    q = bound(b, ch, "amq.direct")
    ch.basic_publish("", q, "m1")
    drain(ch, q)


@case("route-direct-two-keys-one-copy")
def direct_once(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "direct")
    q = bound(b, ch, x, "a", "b")
    ch.basic_publish(x, "a", "m1")
    ch.basic_publish(x, "c", "m2")
    drain(ch, q)


@case("route-fanout-ignores-key")
def fanout(b: Side) -> None:
    ch = b.channel()
    q1 = bound(b, ch, "amq.fanout", "x", label="q1")
    q2 = bound(b, ch, "amq.fanout", "", label="q2")
    ch.basic_publish("amq.fanout", "anything", "m1")
    drain(ch, q1, q2)
    ch.queue_delete(q1)
    ch.queue_delete(q2)


def _topic(slug: str, pattern: str, keys: tuple[str, ...]) -> None:
    @case(f"route-topic-{slug}")
    def topic(b: Side) -> None:
        ch = b.channel()
        x = b.name("x")
        ch.exchange_declare(x, "topic")
        q = bound(b, ch, x, pattern)
        for key in keys:
            ch.basic_publish(x, key, key)
        drain(ch, q)


_topic("star", "a.*.c", ("a.b.c", "a.c", "a.b.b.c", "a..c"))
_topic("hash", "a.#", ("a", "a.b", "a.b.c", "b.a"))
_topic("hash-middle", "a.#.z", ("a.z", "a.b.z", "a.b.c.z", "a.b"))
_topic("hash-only", "#", ("", "x", "x.y"))
_topic("empty-words", "*", ("", "a", "a.b"))


def _headers(slug: str, arguments: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    @case(f"route-headers-{slug}")
    def headers(b: Side) -> None:
        ch = b.channel()
        x = b.name("x")
        ch.exchange_declare(x, "headers")
        q = b.name("q")
        ch.queue_declare(q)
        ch.queue_bind(q, x, arguments=arguments)
        for n, message_headers in enumerate(messages):
            ch.basic_publish(x, "", f"m{n}", properties=b.props(headers=message_headers))
        drain(ch, q)


_HEADERS = [{"a": 1, "b": "two"}, {"a": 1}, {"b": "two"}, {"a": 2, "b": "two"}, {},
            {"a": 1, "b": "two", "x-c": "y"}, {"x-c": "y"}]
_headers("all", {"x-match": "all", "a": 1, "b": "two"}, _HEADERS)
_headers("default-all", {"a": 1, "b": "two"}, _HEADERS)
_headers("any", {"x-match": "any", "a": 1, "b": "two"}, _HEADERS)
_headers("all-ignores-x", {"x-match": "all", "a": 1, "x-c": "y"}, _HEADERS)
_headers("all-with-x", {"x-match": "all-with-x", "a": 1, "x-c": "y"}, _HEADERS)
_headers("any-ignores-x", {"x-match": "any", "x-c": "y"}, _HEADERS)
_headers("any-with-x", {"x-match": "any-with-x", "x-c": "y"}, _HEADERS)
_headers("no-arguments", {}, _HEADERS)
_headers("string-vs-int", {"a": "1"}, [{"a": 1}, {"a": "1"}])


@case("route-headers-invalid-x-match")
def headers_invalid(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_bind(q, "amq.headers", arguments={"x-match": "some"})


@case("route-e2e-binding")
def e2e(b: Side) -> None:
    ch = b.channel()
    src, dst = b.name("src"), b.name("dst")
    ch.exchange_declare(src, "topic")
    ch.exchange_declare(dst, "direct")
    ch.exchange_bind(dst, src, routing_key="a.*")
    q = bound(b, ch, dst, "a.b")
    ch.basic_publish(src, "a.b", "m1")
    ch.basic_publish(src, "a.c", "m2")
    drain(ch, q)


@case("route-e2e-one-copy-by-two-paths")
def e2e_once(b: Side) -> None:
    ch = b.channel()
    src, dst = b.name("src"), b.name("dst")
    ch.exchange_declare(src, "fanout")
    ch.exchange_declare(dst, "fanout")
    ch.exchange_bind(dst, src)
    q = bound(b, ch, dst, "")
    ch.queue_bind(q, src)
    ch.basic_publish(src, "", "m1")
    drain(ch, q)


@case("route-e2e-cycle")
def e2e_cycle(b: Side) -> None:
    ch = b.channel()
    a, c = b.name("a"), b.name("c")
    ch.exchange_declare(a, "fanout")
    ch.exchange_declare(c, "fanout")
    ch.exchange_bind(c, a)
    ch.exchange_bind(a, c)
    q = bound(b, ch, c, "")
    ch.basic_publish(a, "", "m1")
    drain(ch, q)


@case("route-e2e-unbind")
def e2e_unbind(b: Side) -> None:
    ch = b.channel()
    src, dst = b.name("src"), b.name("dst")
    ch.exchange_declare(src, "fanout")
    ch.exchange_declare(dst, "fanout")
    ch.exchange_bind(dst, src)
    q = bound(b, ch, dst, "")
    ch.exchange_unbind(dst, src)
    ch.basic_publish(src, "", "m1")
    ch.queue_declare(q, passive=True)


@case("route-internal-exchange-refuses-publish")
def internal(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "fanout", internal=True)
    ch.basic_publish(x, "", "m1")


@case("route-internal-exchange-via-e2e")
def internal_e2e(b: Side) -> None:
    ch = b.channel()
    src, dst = b.name("src"), b.name("dst")
    ch.exchange_declare(src, "fanout")
    ch.exchange_declare(dst, "fanout", internal=True)
    ch.exchange_bind(dst, src)
    q = bound(b, ch, dst, "")
    ch.basic_publish(src, "", "m1")
    drain(ch, q)


@case("publish-missing-exchange")
def missing_exchange(b: Side) -> None:
    ch = b.channel()
    ch.basic_publish(b.name("x"), "k", "m1")
    b.note("open", ch.is_open)


@case("publish-unroutable-dropped")
def unroutable(b: Side) -> None:
    ch = b.channel()
    b.returns(ch)
    ch.basic_publish("amq.direct", b.name("nobody"), "m1")


# -- alternate exchanges ---------------------------------------------------------------------
@case("alternate-exchange-takes-unroutable")
def alternate(b: Side) -> None:
    ch = b.channel()
    x, ae = b.name("x"), b.name("ae")
    ch.exchange_declare(ae, "fanout")
    ch.exchange_declare(x, "direct", arguments={"alternate-exchange": ae})
    q = bound(b, ch, x, "k")
    spill = bound(b, ch, ae, "", label="spill")
    ch.basic_publish(x, "k", "routed")
    ch.basic_publish(x, "other", "spilled")
    drain(ch, q, spill)


@case("alternate-exchange-missing-returns")
def alternate_missing(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    b.returns(ch)
    ch.exchange_declare(x, "direct", arguments={"alternate-exchange": b.name("ae")})
    ch.basic_publish(x, "k", "m1", mandatory=True)


@case("alternate-exchange-unroutable-there-too")
def alternate_unroutable(b: Side) -> None:
    ch = b.channel()
    x, ae = b.name("x"), b.name("ae")
    b.returns(ch)
    ch.exchange_declare(ae, "direct")
    ch.exchange_declare(x, "direct", arguments={"alternate-exchange": ae})
    ch.basic_publish(x, "k", "m1", mandatory=True)


@case("alternate-exchange-chain")
def alternate_chain(b: Side) -> None:
    ch = b.channel()
    x, ae1, ae2 = b.name("x"), b.name("ae1"), b.name("ae2")
    ch.exchange_declare(ae2, "fanout")
    ch.exchange_declare(ae1, "direct", arguments={"alternate-exchange": ae2})
    ch.exchange_declare(x, "direct", arguments={"alternate-exchange": ae1})
    q = bound(b, ch, ae2, "")
    ch.basic_publish(x, "k", "m1")
    drain(ch, q)


@case("alternate-exchange-mandatory-not-returned")
def alternate_mandatory(b: Side) -> None:
    ch = b.channel()
    x, ae = b.name("x"), b.name("ae")
    b.returns(ch)
    ch.exchange_declare(ae, "fanout")
    ch.exchange_declare(x, "direct", arguments={"alternate-exchange": ae})
    q = bound(b, ch, ae, "")
    ch.basic_publish(x, "k", "m1", mandatory=True)
    drain(ch, q)


# -- mandatory and confirms ------------------------------------------------------------------
@case("mandatory-returned")
def mandatory(b: Side) -> None:
    ch = b.channel()
    b.returns(ch)
    ch.basic_publish("amq.direct", b.name("nobody"), "m1", mandatory=True,
                     properties=b.props(headers={"h": "v"}))


@case("mandatory-default-exchange-returned")
def mandatory_default(b: Side) -> None:
    ch = b.channel()
    b.returns(ch)
    ch.basic_publish("", b.name("nobody"), "m1", mandatory=True)


@case("mandatory-routed-not-returned")
def mandatory_routed(b: Side) -> None:
    ch = b.channel()
    b.returns(ch)
    q = bound(b, ch, "amq.direct")
    ch.basic_publish("", q, "m1", mandatory=True)
    drain(ch, q)


@case("confirms-unroutable-mandatory")
def confirms_unroutable(b: Side) -> None:
    ch = b.channel()
    b.returns(ch)
    ch.confirm_delivery()
    ch.basic_publish("amq.direct", b.name("nobody"), "m1", mandatory=True)
    b.note("open", ch.is_open)


@case("confirms-unroutable-not-mandatory")
def confirms_plain(b: Side) -> None:
    ch = b.channel()
    ch.confirm_delivery()
    ch.basic_publish("amq.direct", b.name("nobody"), "m1")
    b.note("open", ch.is_open)


@case("confirms-routed")
def confirms_routed(b: Side) -> None:
    ch = b.channel()
    q = bound(b, ch, "amq.direct")
    ch.confirm_delivery()
    ch.basic_publish("", q, "m1")
    ch.basic_publish("", q, "m2", mandatory=True)
    drain(ch, q)


@case("confirms-missing-exchange")
def confirms_missing(b: Side) -> None:
    ch = b.channel()
    ch.confirm_delivery()
    ch.basic_publish(b.name("x"), "k", "m1")


@case("confirms-reject-publish-one-of-two-queues")
def confirms_partial(b: Side) -> None:
    ch = b.channel()
    x, full, free = b.name("x"), b.name("full"), b.name("free")
    ch.exchange_declare(x, "fanout")
    ch.queue_declare(full, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    ch.queue_declare(free)
    ch.queue_bind(full, x)
    ch.queue_bind(free, x)
    ch.confirm_delivery()
    ch.basic_publish(x, "", "m1")
    drain(ch, free)


@case("properties-round-trip")
def properties(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    ch.queue_declare(q)
    ch.basic_publish("", q, "m1", properties=b.props(
        headers={"s": "text", "i": 42, "b": True, "n": {"k": "v"}, "l": [1, "two"]},
        priority=3, delivery_mode=2, expiration="60000"))
    ch.basic_consume(q, b.recorder("c1"))


_headers("void-value", {"x-match": "all", "a": None}, [{"a": 1}, {"a": None}, {"b": 1}])
_headers("any-with-void", {"x-match": "any", "a": None, "b": 2}, [{"a": "x"}, {"b": 2}, {}])
_headers("nested-value", {"a": {"k": 1}}, [{"a": {"k": 1}}, {"a": {"k": 2}}])
_headers("bool-value", {"a": True}, [{"a": True}, {"a": 1}, {"a": "true"}])


@case("route-headers-unbind-needs-same-arguments")
def headers_unbind(b: Side) -> None:
    ch = b.channel()
    x, q = b.name("x"), b.name("q")
    ch.exchange_declare(x, "headers")
    ch.queue_declare(q)
    ch.queue_bind(q, x, arguments={"a": 1})
    ch.queue_unbind(q, x, arguments={"a": 2})
    ch.basic_publish(x, "", "m1", properties=b.props(headers={"a": 1}))
    ch.queue_unbind(q, x, arguments={"a": 1})
    ch.basic_publish(x, "", "m2", properties=b.props(headers={"a": 1}))
    drain(ch, q)


@case("route-alternate-exchange-of-e2e-destination")
def e2e_alternate(b: Side) -> None:
    ch = b.channel()
    src, dst, ae = b.name("src"), b.name("dst"), b.name("ae")
    ch.exchange_declare(ae, "fanout")
    ch.exchange_declare(src, "fanout")
    ch.exchange_declare(dst, "direct", arguments={"alternate-exchange": ae})
    ch.exchange_bind(dst, src)
    spill = bound(b, ch, ae, "", label="spill")
    ch.basic_publish(src, "k", "m1")
    drain(ch, spill)


@case("publish-to-default-exchange-missing-queue")
def default_missing(b: Side) -> None:
    ch = b.channel()
    ch.confirm_delivery()
    ch.basic_publish("", b.name("nobody"), "m1")
    b.note("open", ch.is_open)


_topic("overlap-one-copy", "a.*", ("a.b",))


@case("route-topic-overlapping-bindings-one-copy")
def topic_overlap(b: Side) -> None:
    ch = b.channel()
    x = b.name("x")
    ch.exchange_declare(x, "topic")
    q = bound(b, ch, x, "a.*", "#", "a.b", "*.b")
    ch.basic_publish(x, "a.b", "m1")
    drain(ch, q)


@case("route-e2e-to-headers-exchange")
def e2e_headers(b: Side) -> None:
    ch = b.channel()
    src, dst = b.name("src"), b.name("dst")
    ch.exchange_declare(src, "direct")
    ch.exchange_declare(dst, "headers")
    ch.exchange_bind(dst, src, routing_key="k")
    q = b.name("q")
    ch.queue_declare(q)
    ch.queue_bind(q, dst, arguments={"kind": "pdf"})
    ch.basic_publish(src, "k", "m1", properties=b.props(headers={"kind": "pdf"}))
    ch.basic_publish(src, "k", "m2", properties=b.props(headers={"kind": "doc"}))
    ch.basic_publish(src, "other", "m3", properties=b.props(headers={"kind": "pdf"}))
    drain(ch, q)


@case("mandatory-two-queues-one-full-reject")
def mandatory_full(b: Side) -> None:
    ch = b.channel()
    x, full = b.name("x"), b.name("full")
    b.returns(ch)
    ch.exchange_declare(x, "fanout")
    ch.queue_declare(full, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    ch.queue_bind(full, x)
    ch.basic_publish(x, "", "m1", mandatory=True)
    ch.queue_declare(full, passive=True)


@case("confirms-mandatory-into-full-reject-publish")
def confirms_mandatory_full(b: Side) -> None:
    ch = b.channel()
    q = b.name("q")
    b.returns(ch)
    ch.queue_declare(q, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    ch.confirm_delivery()
    ch.basic_publish("", q, "m1", mandatory=True)
    b.note("open", ch.is_open)


@case("confirms-ttl-zero-dead-letters-and-acks")
def confirms_ttl_zero(b: Side) -> None:
    ch = b.channel()
    q, dlq = b.name("q"), b.name("dlq")
    ch.queue_declare(dlq)
    ch.queue_declare(q, arguments={"x-message-ttl": 0, "x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": dlq})
    ch.confirm_delivery()
    ch.basic_publish("", q, "m1")
    b.wait(0.1)
    drain(ch, dlq)
