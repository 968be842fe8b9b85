"""Who the record can name: user id → display name, from what was captured (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import FollowUp, Incident, TimelineEntry


def known_names(
    incident: Incident, entries: Sequence[TimelineEntry], followups: Sequence[FollowUp]
) -> dict[str, str]:
    """Every person whose name the record knows: authors, follow-up owners, the commander."""
    names = {e.author_id: e.author_name for e in entries if e.author_id and e.author_name}
    names.update((f.owner_id, f.owner_name) for f in followups if f.owner_name)
    if incident.commander_id and incident.commander_name:
        names[incident.commander_id] = incident.commander_name
    return names
