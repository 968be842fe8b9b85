"""Catching up after downtime: re-read the channels of incidents that are still open."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from storage import incidents as incident_store

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


async def backfill_open_incidents(services: Services) -> int:
    async with services.db.session() as session:
        channel_ids = [row.channel_id for row in await incident_store.open_incidents(session)]
    added = 0
    for channel_id in channel_ids:
        try:
            ref = await services.channel_ref(channel_id)
            added += await services.capture.backfill(ref)
        except Exception:  # one unreadable channel must not stop the others
            log.warning("backfill of %s failed", channel_id, exc_info=True)
    if added:
        log.info("backfill after start-up stored %d missed messages", added)
    return added
