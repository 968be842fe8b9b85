"""One worker per process keeps each incident's canvas (or pinned fallback message) current.

"Incident X changed" marks its channel due after a short debounce; the worker takes the channel
whose turn is oldest, spends one call of the shared budget and makes ONE edit — the most urgent step
of a fresh plan — then puts the channel back at the end of the queue if more remain. Everything is
re-derived from the database each time, so bursts coalesce into few edits, failures and restarts
converge, and changes made elsewhere (another replica, a command) are picked up by a periodic poll.
Replicas share the budget (a row in the database) and take turns per canvas with a lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.canvas.layout import (
    CanvasView,
    Draft,
    LineMemo,
    canvas_view,
    document,
    lookup_key,
    pinned_text,
)
from bot.canvas.plan import Anchor, Step, initial_written, plan
from bot.observability.logs import log_context, outage
from bot.slack import gateway as api
from bot.slack.gateway import GatewayError, SlackGateway
from bot.tasks import as_background
from storage import canvases as canvas_store
from storage import drafts as draft_store
from storage import entries as entry_store
from storage import followups as followup_store
from storage import incidents as incident_store
from storage.db import Database

log = logging.getLogger(__name__)

# Where Slack has no channel canvases for this app or workspace: keep a pinned message instead.
UNAVAILABLE = frozenset(
    {
        "team_tier_cannot_create_channel_canvases",
        "free_team_canvas_tab_already_exists",
        "restricted_action",
        "missing_scope",
        "not_allowed_token_type",
    }
)
GONE = frozenset({"canvas_not_found", "canvas_deleted", "file_not_found", "file_deleted"})
# The slowest the poll gets while the database cannot be read.
POLL_OUTAGE_SECONDS = 60.0


@dataclass
class CanvasTuning:
    debounce: float = 2.0  # seconds a change waits for company
    poll: float = 5.0  # seconds between sweeps for changes made elsewhere
    lease: float = 30.0  # seconds a replica keeps a canvas to itself after its last edit
    # canvases.edit is Tier 3 (about 50 a minute per app): a burst of `capacity`, then `per_minute`;
    # capacity + per_minute ≤ 45, so no 60 s window holds more than 45 edits, whatever the replicas.
    capacity: float = 5.0
    per_minute: float = 40.0
    backoff: float = 5.0  # seconds before retrying an incident whose update failed
    watch_days: float = 14.0  # incidents opened longer ago than this are left alone by the poll
    # Re-deriving an incident's canvas costs time on the event loop that also acknowledges Slack's
    # events, and the cost grows with the timeline. After an update that took t seconds, that
    # incident waits t × (1 - share) / share before its next one, so however large an incident
    # grows, its canvas takes at most `share` of the loop (a normal incident's update is a few ms:
    # no visible delay; a flooded one is refreshed less often instead of slowing capture).
    share: float = 0.1

    @classmethod
    def for_debounce(cls, debounce: float) -> CanvasTuning:
        # Changes made elsewhere (a command, another replica) are found by the poll: keep it a few
        # debounces long, so that they too reach the canvas well within the 15 s freshness target.
        return cls(debounce=debounce, poll=min(5.0, max(0.25, 2.5 * debounce)))


@dataclass
class CanvasStats:
    edits: int = 0
    lookups: int = 0
    created: int = 0
    pinned_updates: int = 0
    failures: int = 0
    # `scribe_canvas_updates{outcome}` of /metrics, told of every count below.
    counter: Any = None

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if self.counter is not None:
            self.counter.labels(outcome).inc()


class CanvasUpdater:
    def __init__(
        self,
        *,
        db: Database,
        gateway: SlackGateway,
        text: Callable[[], Any],
        tz: tzinfo,
        clock: Callable[[], datetime],
        tuning: CanvasTuning | None = None,
        wall: Callable[[], float] = time.time,
        counter: Any = None,
    ) -> None:
        self.db, self.gateway, self.text, self.tz, self.clock = db, gateway, text, tz, clock
        self.tuning = tuning or CanvasTuning()
        self.wall = wall
        self.owner = uuid.uuid4().hex
        self.stats = CanvasStats(counter=counter)
        self._due: dict[str, float] = {}  # channel id → monotonic time its update is due
        self._rest: dict[str, float] = {}  # channel id → monotonic time before which it is not updated
        self._memos: dict[str, LineMemo] = {}  # channel id → its rendered timeline lines
        self._cost = 0.0  # seconds the current update spent deriving (not waiting for Slack or the budget)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._settled = asyncio.Event()  # nothing due and nothing being written

    # -- the queue ------------------------------------------------------------------------------

    def notify(self, channel_id: str, *, now: bool = False) -> None:
        """Something in this channel's incident changed. The first change of a burst sets the time;
        later ones join it, so a steady stream is still written every `debounce` seconds."""
        due = time.monotonic() + (0.0 if now else self.tuning.debounce)
        if channel_id not in self._due or due < self._due[channel_id]:
            self._due[channel_id] = max(due, self._rest.get(channel_id, 0.0))
        self._settled.clear()
        self._wake.set()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            # Background work: the gateway waits out a 429's Retry-After here instead of failing at once.
            loop.create_task(as_background(self._work()), name="canvas updater"),
            loop.create_task(as_background(self._poll()), name="canvas poll"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def idle(self, timeout: float = 30.0) -> None:
        """Until nothing is due or being written (tests and the demo)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout)

    async def _work(self) -> None:
        while True:
            if not self._due:
                self._settled.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            channel_id, due = min(self._due.items(), key=lambda kv: kv[1])
            delay = due - time.monotonic()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            del self._due[channel_id]
            with log_context(channel=channel_id):  # the gateway's lines inside carry it as a field too
                try:
                    more = await self.update(channel_id)
                except Exception as exc:
                    self.stats.add("failures")
                    code = exc.error if isinstance(exc, GatewayError) else type(exc).__name__
                    log.warning(
                        "canvas update for %s failed (%s); retrying",
                        channel_id,
                        code,
                        extra={"channel": channel_id},
                    )
                    self._due.setdefault(channel_id, time.monotonic() + self.tuning.backoff)
                else:
                    if more:  # behind every channel already waiting: incidents take turns
                        self._due.setdefault(channel_id, time.monotonic())
            self._pace(channel_id)

    def _pace(self, channel_id: str) -> None:
        """Keep this incident's next update `share` of the loop away (see CanvasTuning.share)."""
        ended, share = time.monotonic(), self.tuning.share
        rest = ended + self._cost * (1.0 - share) / share
        self._cost = 0.0
        if rest <= ended:
            self._rest.pop(channel_id, None)
            return
        self._rest[channel_id] = rest
        if channel_id in self._due:
            self._due[channel_id] = max(self._due[channel_id], rest)

    async def _poll(self) -> None:
        failures = 0  # in a row: the sweep slows down and says so once, not every few seconds
        while True:
            await asyncio.sleep(min(self.tuning.poll * 2 ** min(failures, 8), POLL_OUTAGE_SECONDS))
            try:
                since = self.clock() - timedelta(days=self.tuning.watch_days)
                async with self.db.session() as session:
                    watched = await canvas_store.watched(session, since)
            except Exception as exc:
                failures += 1
                if (reason := outage(exc)) is None:
                    log.warning("canvas poll could not read the database", exc_info=True)
                elif failures == 1:
                    log.warning("canvas poll could not read the database (%s); trying less often", reason)
                else:
                    log.debug("canvas poll could not read the database (%s)", reason)
                continue
            if failures:
                log.info("canvas poll reads the database again")
                failures = 0
            live = {channel_id for _incident_id, channel_id in watched}
            for gone in [c for c in self._memos if c not in live]:  # closed long ago: forget its lines
                del self._memos[gone]
                self._rest.pop(gone, None)
            for _incident_id, channel_id in watched:
                self._due.setdefault(channel_id, max(time.monotonic(), self._rest.get(channel_id, 0.0)))
            if watched:
                self._settled.clear()
                self._wake.set()

    # -- one update -------------------------------------------------------------------------------

    async def update(self, channel_id: str) -> bool:
        """At most one Slack write for this channel's incident; True when more remain."""
        started = time.monotonic()
        loaded = await self._load(channel_id)
        self._cost = time.monotonic() - started
        if loaded is None:
            return False
        incident_id, row, view = loaded
        if row is None or row.mode == "creating":
            return await self._create(incident_id, channel_id, view)
        if row.mode == "pinned":
            text = pinned_text(view)
            if row.written.get("text") == text or not await self._claim(incident_id):
                return False
            await self._spend()
            assert row.message_ts is not None
            await self.gateway.update_message(channel_id, row.message_ts, text)
            self.stats.add("pinned_updates")
            await self._save(incident_id, row.version, written={"text": text})
            return False
        started = time.monotonic()
        steps = plan(row.written, view)
        self._cost += time.monotonic() - started
        if not steps or not await self._claim(incident_id):
            return False
        # A plan made stale by waiting for the budget is still written: this replica holds the claim,
        # and what changed meanwhile notified the updater, whose next plan writes the difference.
        # (Planning again after every wait re-read long timelines twice per edit under load.)
        await self._spend()
        assert row is not None and row.canvas_id is not None
        try:
            await self._apply(row.canvas_id, row.written.get("headings", {}), steps[0])
        except GatewayError as exc:
            if exc.error in GONE:  # someone deleted it: start again
                log.warning("canvas %s of %s is gone; creating a new one", row.canvas_id, channel_id)
                await self._save(incident_id, row.version, mode="creating", canvas_id=None, written={})
                return True
            raise
        saved = await self._save(incident_id, row.version, written=steps[0].written)
        return len(steps) > 1 or not saved

    async def _load(self, channel_id: str) -> tuple[int, Any, CanvasView] | None:
        async with self.db.session() as session:
            incident = await incident_store.get_by_channel(session, channel_id)
            if incident is None or incident.id is None:
                return None
            row = await canvas_store.get(session, incident.id)
            entries = await entry_store.events(session, incident.id)
            if row is None and not entries:
                return None
            followups = await followup_store.list_for_incident(session, incident.id)
            latest = await draft_store.latest(session, incident.id)
        draft = Draft(latest.version, latest.created_at) if latest else None
        memo = self._memos.setdefault(channel_id, LineMemo())
        view = canvas_view(incident, entries, followups, tz=self.tz, text=self.text(), draft=draft, memo=memo)
        return incident.id, row, view

    async def _claim(self, incident_id: int) -> bool:
        async with self.db.transaction() as session:
            return await canvas_store.claim(
                session, incident_id, self.owner, self.clock(), timedelta(seconds=self.tuning.lease)
            )

    async def _save(self, incident_id: int, version: int, **values: Any) -> bool:
        async with self.db.transaction() as session:
            return await canvas_store.save(session, incident_id, version, self.clock(), **values)

    async def _spend(self) -> bool:
        """Take one call from the budget all replicas share; True if that meant waiting."""
        waited = False
        per_second = self.tuning.per_minute / 60.0
        while True:
            async with self.db.transaction() as session:
                wait = await canvas_store.take_token(session, self.wall(), self.tuning.capacity, per_second)
            if wait <= 0:
                return waited
            waited = True
            await asyncio.sleep(wait)

    async def _find(self, canvas_id: str, headings: dict[str, str], anchor: Anchor) -> str | None:
        if anchor.heading is not None:
            return headings.get(anchor.heading)
        assert anchor.text is not None
        self.stats.add("lookups")
        found = await api.canvas_sections(self.gateway, canvas_id, {"contains_text": lookup_key(anchor.text)})
        return found[0] if found else None

    async def _apply(self, canvas_id: str, headings: dict[str, str], step: Step) -> None:
        operation = step.operation
        section = await self._find(canvas_id, headings, step.anchor)
        if section is None:
            if operation == "delete":
                return  # already gone (a responder removed it)
            if step.fallback is None:
                raise LookupError(f"canvas section for {step.anchor} not found")
            section = await self._find(canvas_id, headings, step.fallback)
            operation = "insert_before" if operation == "insert_after" else "insert_after"
            if section is None:
                operation, section = "insert_at_end", None
        change: dict[str, Any] = {"operation": operation}
        if section is not None:
            change["section_id"] = section
        if step.markdown is not None:
            change["document_content"] = {"type": "markdown", "markdown": step.markdown}
        await api.edit_canvas(self.gateway, canvas_id, change)
        self.stats.add("edits")

    # -- creation ---------------------------------------------------------------------------------

    async def _create(self, incident_id: int, channel_id: str, view: CanvasView) -> bool:
        now = self.clock()
        async with self.db.transaction() as session:
            await canvas_store.register(session, incident_id, channel_id, now)
        if not await self._claim(incident_id):
            return False  # another replica is creating it
        async with self.db.session() as session:
            row = await canvas_store.get(session, incident_id)
        if row is None or row.mode != "creating":
            return True
        markdown = document(view)
        try:
            canvas_id = await api.create_channel_canvas(self.gateway, channel_id, view.title, markdown)
        except GatewayError as exc:
            error = exc.error
            if error in UNAVAILABLE:
                return await self._pin(incident_id, row.version, channel_id, view, error)
            if error != "channel_canvas_already_exists":
                raise
            canvas_id = await api.channel_canvas_id(self.gateway, channel_id)
            if canvas_id is None:
                raise
            # Adopt the channel's canvas: our sections go after whatever is there, in one edit.
            await self._spend()
            content = {"type": "markdown", "markdown": markdown}
            await api.edit_canvas(
                self.gateway, canvas_id, {"operation": "insert_at_end", "document_content": content}
            )
            self.stats.add("edits")
        self.stats.add("created")
        self.stats.add("lookups")
        ids = await api.canvas_sections(self.gateway, canvas_id, {"section_types": ["h2"]})
        names = list(view.headings)
        # Ours are the last headings of the document (an adopted canvas may have its own before them).
        headings = dict(zip(names, ids[-len(names) :], strict=False)) if len(ids) >= len(names) else {}
        await self._save(
            incident_id, row.version, mode="canvas", canvas_id=canvas_id,
            written=initial_written(view, headings), last_error=None,
        )  # fmt: skip
        log.info("live canvas %s for %s", canvas_id, channel_id)
        return False

    async def _pin(self, incident_id: int, version: int, channel_id: str, view: CanvasView, why: str) -> bool:
        text = pinned_text(view)
        posted = await self.gateway.post_message(channel_id, text)
        await api.pin(self.gateway, channel_id, str(posted["ts"]))
        self.stats.add("pinned_updates")
        await self._save(
            incident_id, version, mode="pinned", message_ts=str(posted["ts"]), written={"text": text},
            last_error=why[:64],
        )  # fmt: skip
        log.info("canvases unavailable in %s (%s): keeping a pinned message instead", channel_id, why)
        return False
