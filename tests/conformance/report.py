"""What a conformance run found for one broker: how many cases agree, and each disagreement."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    broker: str
    #: what the model was compared with, e.g. "RabbitMQ 3.10.8 (Debian) via pika 1.3"
    reference: str
    agreed: int = 0
    total: int = 0
    #: one line per case that disagrees: "case-name: real ... / model ..."
    disagreements: list[str] = field(default_factory=list)
    #: cases that differ on purpose (the model follows a newer version): "case: reason (source)"
    version_notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.broker}: {self.agreed}/{self.total} cases agree ({self.reference})"]
        out += [f"  DISAGREES {line}" for line in self.disagreements]
        out += [f"  version   {line}" for line in self.version_notes]
        return out
