"""Recompute kinds after a rule change, from the raw message kept with each entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.capture.classify import Classifier
from bot.capture.entries import classify_message
from bot.capture.rules import load_rules
from storage import entries as entry_store
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
            for row in await entry_store.all_rows(session):
                if row.kind_locked or row.capture not in RECLASSIFIABLE or not row.raw:
                    continue
                total += 1
                _text, kind, refs, source = classify_message(classifier, row.raw)
                if (kind, refs, source) != (row.kind, row.refs, row.source):
                    row.kind, row.refs, row.source = kind, refs, source
                    session.add(row)
                    changed += 1
    finally:
        await db.dispose()
    return changed, total
