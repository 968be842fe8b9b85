"""Runs the reminder sweep every SCRIBE_REMINDER_INTERVAL_SECONDS inside the app's event loop.

APScheduler only provides the tick. Its job store is in memory on purpose: a shared SQLAlchemy job
store cannot be used by several processes (and needs a sync URL), and nothing about a reminder lives
in the scheduler — the follow-up rows and their claims do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.followups.reminders import SweepResult, sweep
from bot.observability.logs import outage

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

JOB_ID = "followup-reminder-sweep"
# Shutdown first lets the running sweep finish the DMs in flight (it starts no new ones), then
# cancels it; either way the sweep hands back the claims it still holds.
DRAIN_SECONDS = 5.0
CANCEL_GRACE_SECONDS = 10.0


class ReminderScheduler:
    def __init__(
        self, services: Services, *, interval_seconds: float | None = None, lease: timedelta | None = None
    ) -> None:
        self.services = services
        self.interval = interval_seconds or services.settings.scribe_reminder_interval_seconds
        self.lease = lease
        self.last_result: SweepResult | None = None
        self.sweeps = 0
        self._scheduler: AsyncIOScheduler | None = None
        self._running: asyncio.Task[object] | None = None
        self._stop = asyncio.Event()

    def start(self) -> None:
        """Needs a running event loop (call it from an aiohttp on_startup hook or a coroutine)."""
        if self._scheduler is not None:
            return
        loop = asyncio.get_running_loop()
        self._scheduler = AsyncIOScheduler(event_loop=loop, timezone=UTC)
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            id=JOB_ID,
            # One sweep at a time per process; ticks missed while one ran collapse into one.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            # First sweep right away: after a restart, due reminders should not wait a whole interval.
            # (Wall-clock scheduling only; what is due is decided with the injected clock.)
            next_run_time=datetime.now(UTC) + timedelta(milliseconds=100),
        )
        self._scheduler.start()
        log.info("follow-up reminder sweep every %ss", self.interval)

    async def _tick(self) -> None:
        self._running = asyncio.current_task()
        try:
            if self._stop.is_set():
                return
            self.last_result = await sweep(
                self.services, self.services.clock(), lease=self.lease, stop=self._stop
            )
            self.sweeps += 1
            r = self.last_result
            self._count(r)
            if r.claimed or r.escalations_sent or r.postmortem_reminders:
                log.info(
                    "sweep: %d digests (%d items), %d deferred, %d undeliverable, %d released, "
                    "%d escalations, %d post-mortem reminders in %.2fs",
                    r.digests_sent,
                    r.items_reminded,
                    r.deferred_quiet,
                    r.failed_permanent,
                    r.released,
                    r.escalations_sent,
                    r.postmortem_reminders,
                    r.seconds,
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A failed sweep is retried by the next tick; the claims it held are already released.
            # The database (or Slack) being unreachable is one line, not a traceback per tick.
            self.services.metrics.reminder_sweeps.labels("failed").inc()
            if (reason := outage(exc)) is None:
                log.exception("follow-up reminder sweep failed")
            else:
                log.warning("follow-up reminder sweep failed: %s", reason)
        finally:
            self._running = None

    def _count(self, r: SweepResult) -> None:
        metrics = self.services.metrics
        metrics.reminder_sweeps.labels("rate_limited" if r.rate_limited else "ok").inc()
        for outcome, n in (
            ("reminded", r.items_reminded),
            ("deferred_quiet", r.deferred_quiet),
            ("undeliverable", r.failed_permanent),
            ("released", r.released),
            ("escalated", r.escalations_sent),
            ("postmortem_reminded", r.postmortem_reminders),
        ):
            if n:
                metrics.reminder_items.labels(outcome).inc(n)

    async def shutdown(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        self._stop.set()
        scheduler.pause()  # no new ticks while the running one drains
        running = self._running
        if running is not None and not running.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(running), DRAIN_SECONDS)
        # wait=False: APScheduler's asyncio executor cancels job tasks still running.
        scheduler.shutdown(wait=False)
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(running), CANCEL_GRACE_SECONDS)
