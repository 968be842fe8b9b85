"""Recompute kinds after a rule change, from the raw message kept with each entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier
from bot.capture.entries import classify_message
from bot.capture.known_services import channel_service, learnable
from bot.capture.rules import load_rules
from storage import entries as entry_store
from storage import services as service_store
from storage.db import Database

if TYPE_CHECKING:
    from bot.config import Settings

# Entries a human put there or corrected keep their kind.
RECLASSIFIABLE = ("auto", "backfill")


async def reclassify_all(settings: Settings) -> tuple[int, int]:
    classifier = Classifier(load_rules(settings.scribe_rules_file) if settings.scribe_rules_file else [])
    db = Database(settings.database_url)
    changed = total = 0
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
                _text, kind, refs, source = classify_message(classifier, row.raw, services)
                if (kind, refs, source) != (row.kind, row.refs, row.source):
                    row.kind, row.refs, row.source = kind, refs, source
                    session.add(row)
                    changed += 1
    finally:
        await db.dispose()
    return changed, total
