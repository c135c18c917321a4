"""Topics: names, per-topic configs with Kafka's defaults, and their partitions.

A topic is a name plus a number of partitions; each partition is an independent ordered log
(ordering holds only within a partition). Configs and defaults are Kafka's topic-level configs
(Kafka documentation, "Topic-Level Configs",
https://kafka.apache.org/documentation/#topicconfigs): retention.ms 604800000 (7 days),
retention.bytes -1 (no limit), cleanup.policy delete, min.insync.replicas 1,
unclean.leader.election.enable false, delete.retention.ms 86400000 (how long a compacted
topic keeps tombstones).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidConfigurationException, InvalidTopicException

if TYPE_CHECKING:
    from .cluster import Partition

DEFAULTS: dict[str, Any] = {
    "retention.ms": 604_800_000,
    "retention.bytes": -1,
    "cleanup.policy": "delete",
    "min.insync.replicas": 1,
    "unclean.leader.election.enable": False,
    "delete.retention.ms": 86_400_000,
}
_POLICIES = {"delete": ("delete",), "compact": ("compact",), "compact,delete":
             ("compact", "delete"), "delete,compact": ("compact", "delete")}

# Topic.validate in apache/kafka (clients/.../common/internals/Topic.java): 1 to 249 chars of
# ASCII letters, digits, '.', '_' and '-', and not "." or "..".
_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")
MAX_NAME_LENGTH = 249


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidTopicException(f"topic name {name!r} is not allowed: give a non-empty string")
    if name in (".", ".."):
        raise InvalidTopicException(
            f"topic name {name!r} is not allowed: '.' and '..' are reserved")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidTopicException(
            f"topic name {name[:20]!r}... is {len(name)} characters; at most {MAX_NAME_LENGTH}")
    if not _LEGAL.fullmatch(name):
        raise InvalidTopicException(
            f"topic name {name!r} is not allowed: use only ASCII letters, digits, '.', '_' and '-'")
    return name


def validate_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Kafka's defaults overlaid with ``config``; values may be strings, as in Kafka's admin."""
    result = dict(DEFAULTS)
    if config is None:
        return result
    if not isinstance(config, Mapping):
        raise InvalidConfigurationException(
            f"topic config must be a mapping of config name to value, not {type(config).__name__}")
    for name, value in config.items():
        if name not in DEFAULTS:
            raise InvalidConfigurationException(
                f"unknown topic config {name!r}; mqlab knows {', '.join(sorted(DEFAULTS))}")
        result[name] = _parse(name, value)
    return result


def _parse(name: str, value: Any) -> Any:
    if name == "cleanup.policy":
        text = str(value).replace(" ", "")
        if text not in _POLICIES:
            raise InvalidConfigurationException(
                f"cleanup.policy {value!r} is not allowed; use delete, compact or compact,delete")
        return ",".join(_POLICIES[text])
    if name == "unclean.leader.election.enable":
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            return value if isinstance(value, bool) else str(value).lower() == "true"
        raise InvalidConfigurationException(f"{name} {value!r} is not allowed; use true or false")
    number = _integer(name, value)
    lowest = 1 if name == "min.insync.replicas" else (0 if name == "delete.retention.ms" else -1)
    if number < lowest:
        raise InvalidConfigurationException(
            f"{name} {value!r} is not allowed; it must be at least {lowest}"
            + (" (-1 means no limit)" if lowest == -1 else ""))
    return number


def _integer(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    raise InvalidConfigurationException(f"{name} {value!r} is not allowed; give a whole number")


class Topic:
    """A named set of partitions with its config."""

    __slots__ = ("name", "config", "partitions", "compact", "delete", "cleanup", "watch_appends",
                 "deleted", "incarnation")

    def __init__(self, name: str, config: dict[str, Any], incarnation: int = 1) -> None:
        self.name = name
        self.incarnation = incarnation  # how many topics of this name there have been
        self.config = config
        self.partitions: list[Partition] = []
        policy = config["cleanup.policy"].split(",")
        self.compact = "compact" in policy
        self.delete = "delete" in policy
        #: whether the log cleaner has anything to do for this topic
        self.cleanup = self.compact or config["retention.ms"] >= 0 or \
            config["retention.bytes"] >= 0
        self.watch_appends = self.compact or (self.delete and config["retention.bytes"] >= 0)
        self.deleted = False  # set by delete_topic; pending replication then does nothing

    @property
    def min_insync(self) -> int:
        return self.config["min.insync.replicas"]
