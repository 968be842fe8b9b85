"""Capture: Slack message events in incident channels become committed timeline entries.

Everything that decides is in `bot.capture.entries` (pure). This module only sequences I/O: one
transaction per event (ledger row + entry), committed before the listener returns, so Slack's 200
means "stored". Slow enrichment (user names, the marker reaction) runs after the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import incident_record
from bot.capture.backfill import HistoryReader
from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier
from bot.capture.enrich import Enrichment, EnrichmentQueue
from bot.capture.entries import (
    classification_of,
    datetime_to_ts,
    entry_values,
    raw_of,
    ts_to_datetime,
)
from bot.capture.gaps import GapRecovery
from bot.capture.known_services import KnownServices, learnable
from bot.capture.names import name_authors, nameless
from bot.capture.writer import EntryWriter
from bot.incident_state import MOVER_KINDS, entry_commander, incident_changes
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
    services: tuple[str, ...] = ()  # SCRIBE_SERVICES


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
        self.known = KnownServices(db, settings.services, clock=clock, tasks=tasks)
        self._team: str | None = None
        # Told the channel id whenever an incident's entries change (the live canvas listens).
        self.changed: Callable[[str], None] = lambda _channel_id: None
        self.history = HistoryReader(db, gateway, self.store_read, clock, tasks)
        self.gaps = GapRecovery(self.history)

    async def close(self) -> None:
        await self.gaps.close()
        await self.writer.close()

    # -- event stream ----------------------------------------------------------------------------

    async def on_message(self, channel: ChannelRef, message: Mapping[str, Any], event_id: str | None) -> bool:
        """Store one new message; False when it was a redelivery or already known."""
        if not channel.is_incident or message.get("subtype") in IGNORED_SUBTYPES or "ts" not in message:
            return False
        try:
            return await self._capture(channel, message, event_id)
        except Exception:
            # Not stored (the database is down, most likely), and Slack may give up retrying: the
            # channel is read back from this message once writes succeed again.
            self.gaps.note(channel, message)
            raise

    async def _capture(self, channel: ChannelRef, message: Mapping[str, Any], event_id: str | None) -> bool:
        team, services = await self._services(channel, message)
        values = entry_values(
            self.classifier,
            message,
            channel_id=channel.id,
            capture="auto",
            now=self.clock(),
            services=services,
        )
        if nameless(values):
            values["author_name"] = self.gateway.cached_user_name(values["author_id"])
        stored = await self.writer.submit(PendingEntry(event_id, values), channel.name or channel.id)
        if stored:
            self.known.learn(team, learnable(values), source="integration")
            self.changed(channel.id)
            self._captured(channel, values)
        enrichment = self._enrichment_for(values) if stored else None
        if enrichment is not None:
            self.enrichment.put(enrichment)
        named = entry_commander(values) if stored else None
        if named and not named[1] and named[0] != values["author_id"]:
            self.tasks.spawn(self._name_commander(channel.id, named[0]), name="commander name")
        return stored

    async def on_changed(self, channel: ChannelRef, event: Mapping[str, Any], event_id: str | None) -> None:
        message = dict(event.get("message") or {})
        if not channel.is_incident or "ts" not in message or await self._is_ours(message):
            return
        message.setdefault("channel", channel.id)
        team, services = await self._services(channel, message)
        now = self.clock()
        async with self.db.transaction() as session:
            if event_id and not await event_store.claim_event(session, event_id, now):
                return
            row = await entry_store.get(session, channel.id, message["ts"])
            if row is None:
                # An edit can turn chatter into an event worth keeping; treat it as new.
                stored = await self._store(
                    session, channel, message, capture="auto", now=now, services=services
                )
            else:
                text, result = classification_of(self.classifier, message, services)
                was = row.kind
                row.text, row.raw, row.edited_at = text, raw_of(message), now
                if not row.kind_locked:
                    row.kind, row.refs, row.source = result.kind, dict(result.refs), result.source
                    row.confidence = result.confidence
                session.add(row)
                stored = {"source": result.source, "refs": dict(result.refs)}
                if was in MOVER_KINDS or row.kind in MOVER_KINDS:
                    # "IC here" edited into "is bob IC?": what the record inferred may no longer hold.
                    await session.flush()
                    await incident_record.refresh(session, row.incident_id)
        if stored is not None:
            # Deploy tools often edit their own message as the rollout moves on.
            self.known.learn(team, learnable(stored), source="integration")
            if row is None:
                self._name_later(stored)
        self.changed(channel.id)

    async def on_deleted(self, channel: ChannelRef, event: Mapping[str, Any], event_id: str | None) -> None:
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if not channel.is_incident or not ts:
            return
        now = self.clock()
        async with self.db.transaction() as session:
            if event_id and not await event_store.claim_event(session, event_id, now):
                return
            if await entry_store.mark_deleted(session, channel.id, ts, now):
                row = await entry_store.get(session, channel.id, ts)
                if row is not None and row.kind in MOVER_KINDS:
                    await incident_record.refresh(session, row.incident_id)
        self.changed(channel.id)

    # -- responders steering -------------------------------------------------------------------

    async def capture_by_hand(self, channel: ChannelRef, message: Mapping[str, Any], via: str) -> bool:
        """Capture reaction or message shortcut: put the message on the timeline."""
        if not channel.is_incident:
            return False
        _team, services = await self._services(channel, message)
        now = self.clock()
        async with self.db.transaction() as session:
            row = await entry_store.get(session, channel.id, message["ts"])
            added = None
            if row is None:
                added = await self._store(session, channel, message, capture=via, now=now, services=services)
                stored = added is not None
            else:
                row.hidden = False
                if row.kind == "other":
                    row.kind, row.kind_locked, row.confidence = "note", True, "confirmed"
                row.capture = via
                session.add(row)
                stored = True
        if added is not None:
            self._name_later(added)
        if stored:
            self.changed(channel.id)
        return stored

    async def take_out(self, channel: ChannelRef, ts: str, *, only_if_captured_by: str | None = None) -> bool:
        async with self.db.transaction() as session:
            row = await entry_store.get(session, channel.id, ts)
            if row is None or (only_if_captured_by and row.capture != only_if_captured_by):
                return False
            row.hidden = True
            session.add(row)
            if row.kind in MOVER_KINDS:
                await session.flush()
                await incident_record.refresh(session, row.incident_id)
        self.changed(channel.id)
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
        _team, services = await self._services(channel, message)
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
                services=services,
            )
            values["incident_id"] = incident_id
            if values["kind"] == "other":
                values["kind"] = "note"
            # A note is not a Slack message: keep its ts from colliding with one.
            values["ts"] = f"note-{ts}"
            values["kind_locked"], values["confidence"] = True, "confirmed"
            await entry_store.insert(session, values)
        self.changed(channel.id)
        return str(values["kind"])

    # -- history read back ----------------------------------------------------------------------

    async def store_read(self, channel: ChannelRef, messages: list[Mapping[str, Any]]) -> int:
        """Store messages read from history (one page): what the event stream missed. Through the
        event stream's group commit, so a page of 999 is a few multi-row inserts."""
        if not messages:
            return 0
        now, name = self.clock(), channel.name or channel.id
        team, services = await self._services(channel, messages[0])
        pending = [
            PendingEntry(
                None,
                entry_values(
                    self.classifier, m, channel_id=channel.id, capture="backfill", now=now, services=services
                ),
            )
            for m in sorted(messages, key=lambda m: float(m["ts"]))
            if m.get("subtype") not in IGNORED_SUBTYPES and not await self._is_ours(m)
        ]
        await name_authors(self.gateway, [item.values for item in pending])
        stored = await asyncio.gather(*(self.writer.submit(item, name) for item in pending))
        for item, ok in zip(pending, stored, strict=True):
            if ok:
                self.known.learn(team, learnable(item.values), source="integration")
                self._name_later(item.values)  # users.info failed just now: tried again later, as live
        added = sum(stored)
        if added:
            async with self.db.transaction() as session:
                row = await incident_store.row_by_channel(session, channel.id)
                if row is not None and row.id is not None:
                    # Older messages arrived after newer ones: the record follows message time, not arrival.
                    await incident_record.refresh(session, row.id)
            self.changed(channel.id)
        return added

    # -- internals ---------------------------------------------------------------------------

    def _name_later(self, values: Mapping[str, Any]) -> None:
        if nameless(values):
            self.enrichment.put(Enrichment(values["channel_id"], values["ts"], values["author_id"], None))

    async def _store(
        self,
        session: AsyncSession,
        channel: ChannelRef,
        message: Mapping[str, Any],
        *,
        capture: str,
        now: datetime,
        services: ServiceCatalogue,
    ) -> dict[str, Any] | None:
        occurred = ts_to_datetime(message["ts"])
        incident_id = await incident_store.open_incident(
            session, channel.id, channel.name or channel.id, occurred
        )
        values = entry_values(
            self.classifier, message, channel_id=channel.id, capture=capture, now=now, services=services
        )
        values["incident_id"] = incident_id
        if nameless(values):  # a message fetched from history, or an edit, carries no profile
            values["author_name"] = self.gateway.cached_user_name(values["author_id"])
        if not await entry_store.insert(session, values):
            return None
        self._captured(channel, values)
        row = await incident_store.row_by_channel(session, channel.id)
        if row is not None:
            changes = incident_changes(values, row.status, incident_store.locked(row))
            await incident_store.apply_updates(session, incident_id, changes)
        return values

    async def _services(
        self, channel: ChannelRef, message: Mapping[str, Any]
    ) -> tuple[str, ServiceCatalogue]:
        """The workspace and the service names it knows, the channel's own name included."""
        team = await self._team_id(message)
        self.known.learn_channel(team, channel.id, channel.name)
        return team, await self.known.catalogue(team)

    async def _team_id(self, message: Mapping[str, Any]) -> str:
        # The installation's workspace, not the poster's: in a shared channel they differ.
        if self._team is None:
            try:
                self._team = str((await self.gateway.auth()).get("team_id") or "") or None
            except Exception:  # Slack unreachable: this message still counts for its own workspace
                log.warning("auth.test failed; using the message's team for the service catalogue")
        return self._team or str(message.get("team") or "")

    async def _name_commander(self, channel_id: str, user_id: str) -> None:
        """A hand-over names the new commander by mention only: the draft wants their name."""
        name = await self.gateway.user_name(user_id)
        if name:
            async with self.db.transaction() as session:
                await incident_store.set_commander_name(session, channel_id, user_id, name)

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
        missing_name = nameless(values)
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
