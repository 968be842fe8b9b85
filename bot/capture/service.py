"""Capture: Slack message events in incident channels become committed timeline entries.

Everything that decides is in `bot.capture.entries` (pure). This module only sequences I/O: one
transaction per event (ledger row + entry), committed before the listener returns, so Slack's 200
means "stored". Slow enrichment (user names, the marker reaction) runs after the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.capture.classify import Classifier
from bot.capture.enrich import Enrichment, EnrichmentQueue
from bot.capture.entries import (
    classify_message,
    datetime_to_ts,
    entry_values,
    incident_changes,
    raw_of,
    ts_to_datetime,
)
from bot.capture.writer import EntryWriter
from bot.observability.metrics import Metrics
from bot.slack.context import ChannelRef
from bot.slack.gateway import SlackGateway
from bot.tasks import BackgroundTasks
from storage import entries as entry_store
from storage import events as event_store
from storage import incidents as incident_store
from storage.batch import PendingEntry
from storage.db import Database

log = logging.getLogger(__name__)

# Message subtypes that are not conversation: joins, topic changes, pins… stored nowhere.
IGNORED_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "pinned_item",
        "unpinned_item",
        "ekm_access_denied",
        "channel_posting_permissions",
        "reminder_add",
        "bot_add",
        "bot_remove",
        "message_replied",
    }
)


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    mark_reaction: str | None
    capture_reaction: str
    undo_reaction: str


class CaptureService:
    def __init__(
        self,
        *,
        db: Database,
        gateway: SlackGateway,
        classifier: Classifier,
        clock: Callable[[], datetime],
        tasks: BackgroundTasks,
        settings: CaptureSettings,
        metrics: Metrics | None = None,
    ) -> None:
        self.db, self.gateway, self.classifier = db, gateway, classifier
        self.clock, self.tasks, self.settings = clock, tasks, settings
        self.metrics = metrics or Metrics()
        self.writer = EntryWriter(db, clock)
        self.enrichment = EnrichmentQueue(tasks, self._enrich)

    async def close(self) -> None:
        await self.writer.close()

    # -- event stream ----------------------------------------------------------------------------

    async def on_message(self, channel: ChannelRef, message: Mapping[str, Any], event_id: str | None) -> bool:
        """Store one new message; False when it was a redelivery or already known."""
        if not channel.is_incident or message.get("subtype") in IGNORED_SUBTYPES or "ts" not in message:
            return False
        values = entry_values(
            self.classifier, message, channel_id=channel.id, capture="auto", now=self.clock()
        )
        if values["author_kind"] == "human" and values["author_id"] and not values["author_name"]:
            values["author_name"] = self.gateway.cached_user_name(values["author_id"])
        stored = await self.writer.submit(PendingEntry(event_id, values), channel.name or channel.id)
        if stored:
            self._captured(channel, values)
        enrichment = self._enrichment_for(values) if stored else None
        if enrichment is not None:
            self.enrichment.put(enrichment)
        return stored

    async def on_changed(self, channel: ChannelRef, event: Mapping[str, Any], event_id: str | None) -> None:
        message = dict(event.get("message") or {})
        if not channel.is_incident or "ts" not in message or await self._is_ours(message):
            return
        message.setdefault("channel", channel.id)
        now = self.clock()
        async with self.db.transaction() as session:
            if event_id and not await event_store.claim_event(session, event_id, now):
                return
            row = await entry_store.get(session, channel.id, message["ts"])
            if row is None:
                # An edit can turn chatter into an event worth keeping; treat it as new.
                await self._store(session, channel, message, capture="auto", now=now)
                return
            text, kind, refs, source = classify_message(self.classifier, message)
            row.text, row.raw, row.edited_at = text, raw_of(message), now
            if not row.kind_locked:
                row.kind, row.refs, row.source = kind, refs, source
            session.add(row)

    async def on_deleted(self, channel: ChannelRef, event: Mapping[str, Any], event_id: str | None) -> None:
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if not channel.is_incident or not ts:
            return
        now = self.clock()
        async with self.db.transaction() as session:
            if event_id and not await event_store.claim_event(session, event_id, now):
                return
            await entry_store.mark_deleted(session, channel.id, ts, now)

    # -- responders steering -------------------------------------------------------------------

    async def capture_by_hand(self, channel: ChannelRef, message: Mapping[str, Any], via: str) -> bool:
        """Capture reaction or message shortcut: put the message on the timeline."""
        if not channel.is_incident:
            return False
        now = self.clock()
        async with self.db.transaction() as session:
            row = await entry_store.get(session, channel.id, message["ts"])
            if row is None:
                return await self._store(session, channel, message, capture=via, now=now) is not None
            row.hidden = False
            if row.kind == "other":
                row.kind, row.kind_locked = "note", True
            row.capture = via
            session.add(row)
            return True

    async def take_out(self, channel: ChannelRef, ts: str, *, only_if_captured_by: str | None = None) -> bool:
        async with self.db.transaction() as session:
            row = await entry_store.get(session, channel.id, ts)
            if row is None or (only_if_captured_by and row.capture != only_if_captured_by):
                return False
            row.hidden = True
            session.add(row)
            return True

    async def add_note(self, channel: ChannelRef, user_id: str, user_name: str | None, text: str) -> str:
        now = self.clock()
        ts = datetime_to_ts(now)
        message = {
            "type": "message",
            "user": user_id,
            "text": text,
            "ts": ts,
            "user_profile": {"display_name": user_name} if user_name else {},
        }
        async with self.db.transaction() as session:
            incident_id = await incident_store.open_incident(
                session, channel.id, channel.name or channel.id, now
            )
            values = entry_values(
                self.classifier,
                message,
                channel_id=channel.id,
                capture="note",
                now=now,
            )
            values["incident_id"] = incident_id
            if values["kind"] == "other":
                values["kind"] = "note"
            # A note is not a Slack message: keep its ts from colliding with one.
            values["ts"] = f"note-{ts}"
            values["kind_locked"] = True
            await entry_store.insert(session, values)
            return str(values["kind"])

    # -- backfill ----------------------------------------------------------------------------

    async def backfill(self, channel: ChannelRef) -> int:
        """Read channel history (and thread replies) and store what the event stream missed."""
        if not channel.is_incident:
            return 0
        # The whole channel is read: an incident channel exists for one incident, and its start may
        # predate the first message the event stream delivered.
        messages: list[Mapping[str, Any]] = []
        async for message in self.gateway.history(channel.id):
            messages.append(message)
            if int(message.get("reply_count") or 0) > 0:
                async for reply in self.gateway.replies(channel.id, message["ts"]):
                    messages.append(reply)
        added = 0
        now = self.clock()
        for message in sorted(messages, key=lambda m: float(m["ts"])):
            if message.get("subtype") in IGNORED_SUBTYPES or await self._is_ours(message):
                continue
            async with self.db.transaction() as session:
                if await self._store(session, channel, message, capture="backfill", now=now) is not None:
                    added += 1
        async with self.db.transaction() as session:
            await incident_store.set_backfilled(session, channel.id, now)
        return added

    # -- internals ---------------------------------------------------------------------------

    async def _store(
        self,
        session: AsyncSession,
        channel: ChannelRef,
        message: Mapping[str, Any],
        *,
        capture: str,
        now: datetime,
    ) -> dict[str, Any] | None:
        occurred = ts_to_datetime(message["ts"])
        incident_id = await incident_store.open_incident(
            session, channel.id, channel.name or channel.id, occurred
        )
        values = entry_values(self.classifier, message, channel_id=channel.id, capture=capture, now=now)
        values["incident_id"] = incident_id
        if not await entry_store.insert(session, values):
            return None
        self._captured(channel, values)
        incident = await incident_store.get_by_channel(session, channel.id)
        if incident is not None:
            await incident_store.apply_updates(
                session, incident_id, incident_changes(values, incident.status)
            )
        return values

    def _captured(self, channel: ChannelRef, values: Mapping[str, Any]) -> None:
        self.metrics.captured.labels(values["kind"]).inc()
        log.debug("captured %s %s", values["kind"], values["ts"], extra={"channel": channel.id})

    async def _is_ours(self, message: Mapping[str, Any]) -> bool:
        # Bolt drops our own messages, but not `message_changed` echoes of our own chat.update.
        auth = await self.gateway.auth()
        return bool(
            (message.get("user") and message.get("user") == auth.get("user_id"))
            or (message.get("bot_id") and message.get("bot_id") == auth.get("bot_id"))
        )

    def _enrichment_for(self, values: Mapping[str, Any]) -> Enrichment | None:
        missing_name = values["author_kind"] == "human" and values["author_id"] and not values["author_name"]
        wants_mark = bool(self.settings.mark_reaction) and values["kind"] not in ("other", "note")
        # Markers are cosmetic: past Slack's reactions budget the entry is kept unmarked.
        mark = self.settings.mark_reaction if wants_mark and self.gateway.reaction_budget.take() else None
        if not (missing_name or mark):
            return None
        author = values["author_id"] if missing_name else None
        return Enrichment(values["channel_id"], values["ts"], author, mark)

    async def _enrich(self, item: Enrichment) -> None:
        if item.author_id:
            name = await self.gateway.user_name(item.author_id)
            if name:
                async with self.db.transaction() as session:
                    await entry_store.set_author_name(session, item.channel_id, item.ts, name)
        if item.mark:
            try:
                await self.gateway.react(item.channel_id, item.ts, item.mark)
            except Exception:  # a missing marker must never cost the entry
                log.warning("could not mark %s in %s", item.ts, item.channel_id)
