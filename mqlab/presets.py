"""Presets: the starting points offered on the home page, for every broker.

Each broker's command module declares its presets (``BrokerKit.presets``) as the commands
that build them, so a preset is replayed exactly like anything a user typed. This module
adds an empty playground per broker and looks presets up by slug.
"""

from __future__ import annotations

from mqlab.commands import BrokerKit, Preset, all_kits


def playground(kit: BrokerKit) -> Preset:
    return Preset(kit.broker, f"{kit.broker}-playground", "Empty playground",
                  "Nothing declared yet: build your own topology from the controls.")


def all_presets() -> list[Preset]:
    presets: list[Preset] = []
    for kit in all_kits():
        presets.extend(kit.presets)
        presets.append(playground(kit))
    return presets


def find(slug: str) -> Preset:
    """The preset named ``slug``; LookupError names the allowed slugs."""
    presets = all_presets()
    for preset in presets:
        if preset.slug == slug:
            return preset
    allowed = ", ".join(preset.slug for preset in presets)
    raise LookupError(f"no preset {slug!r}; choose one of: {allowed}")
