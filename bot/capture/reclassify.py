"""Recompute kinds after a rule change, from the raw message kept with each entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import incident_record
from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier
from bot.capture.entries import classification_of
from bot.capture.known_services import channel_service, learnable
from bot.capture.rules import load_rules
from storage import entries as entry_store
from storage import services as service_store
from storage.db import Database

if TYPE_CHECKING:
    from bot.config import Settings

# Entries a human put there or corrected (kind_locked) keep their kind; entries taken out stay out
# (`hidden` is never touched here).
RECLASSIFIABLE = ("auto", "backfill")


async def reclassify_all(settings: Settings) -> tuple[int, int]:
    classifier = Classifier(load_rules(settings.scribe_rules_file) if settings.scribe_rules_file else [])
    db = Database(settings.database_url)
    changed = total = 0
    touched: set[int] = set()
    try:
        await db.ensure_current()
        async with db.transaction() as session:
            rows = await entry_store.all_rows(session)
            # The catalogue as capture would know it now: settings, stored names, incident channel
            # names, and the services integrations named in earlier entries. Entries keep no
            # workspace, so the names of every workspace in this database are used together.
            names = [*settings.service_names, *await service_store.every_name(session)]
            names += [
                n for c in await service_store.incident_channel_names(session) if (n := channel_service(c))
            ]
            names += [s for row in rows for s in learnable({"source": row.source, "refs": row.refs})]
            services = ServiceCatalogue.of(names)
            for row in rows:
                if row.kind_locked or row.capture not in RECLASSIFIABLE or not row.raw:
                    continue
                total += 1
                _text, result = classification_of(classifier, row.raw, services)
                fresh = (result.kind, dict(result.refs), result.source, result.confidence)
                if fresh != (row.kind, row.refs, row.source, row.confidence):
                    row.kind, row.refs, row.source, row.confidence = fresh
                    session.add(row)
                    touched.add(row.incident_id)
                    changed += 1
            await session.flush()
            # A kind that changed may change what the record infers (status, commander, severity).
            for incident_id in sorted(touched):
                await incident_record.refresh(session, incident_id)
    finally:
        await db.dispose()
    return changed, total
