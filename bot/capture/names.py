"""Authors' display names for entries whose message carried no profile.

Live message events usually carry the author's profile; messages read from history (a backfill, a
gap read back after an outage, a message captured by hand) do not. Without a name the draft would
show a raw user id for them, and list the same person twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bot.slack.gateway import SlackGateway


def nameless(values: Mapping[str, Any]) -> bool:
    """A person's entry without their display name yet."""
    return bool(values["author_kind"] == "human" and values["author_id"] and not values["author_name"])


async def name_authors(gateway: SlackGateway, entries: list[dict[str, Any]]) -> None:
    """Fill in the names, as live capture has them: one users.info per person not yet known (cached,
    and shared with lookups already in flight); a lookup that fails leaves the name unset, for the
    enrichment queue to try again after the entry is stored."""
    people = {str(v["author_id"]) for v in entries if nameless(v)}
    names = {user: gateway.cached_user_name(user) for user in people}
    unknown = [user for user, name in names.items() if name is None]
    found = await asyncio.gather(*(gateway.user_name(user) for user in unknown), return_exceptions=True)
    names.update((user, name) for user, name in zip(unknown, found, strict=True) if isinstance(name, str))
    for values in entries:
        if nameless(values):
            values["author_name"] = names.get(values["author_id"])
