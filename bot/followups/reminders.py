"""The reminder sweep: claim due follow-ups, DM each owner one digest, confirm; then escalate
long-overdue items and remind about post-mortems nobody drafted.

The database is the source of truth (no shared scheduler state), so any number of replicas and
restarts can run this concurrently: see `storage.followups` for the claim protocol. Delivery is
at-least-once only in one narrow window — Slack accepted the DM but the process died before the
confirm committed — which nothing short of a Slack-side idempotency key could close.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain import FollowUp
from bot.followups import blocks, policy
from bot.followups.service import can_see
from bot.slack.gateway import GatewayError
from storage import followups as store

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# Owners are taken in batches (the owners of this many oldest due items) so replicas share the work.
CLAIM_BATCH_ROWS = 200
MAX_BATCHES_PER_SWEEP = 1000
# DMs in flight at once within one sweep (to different owners: Slack limits per channel).
SEND_CONCURRENCY = 4
# Retry-After values up to this are waited out inside the sweep; longer ones end the sweep.
MAX_RETRY_AFTER_WAIT = 30.0
RATE_LIMIT_ATTEMPTS = 3


def lease_for(services: Services) -> timedelta:
    """How long a claim holds before another sweep may take it over. It is renewed once half of it
    is used, so it only has to outlast one owner's DM including Slack's rate-limit retries."""
    explicit = services.settings.scribe_reminder_lease_seconds
    if explicit:
        return timedelta(seconds=float(explicit))
    interval = services.settings.scribe_reminder_interval_seconds
    return timedelta(seconds=min(900.0, max(30.0, 10 * interval)))


@dataclass
class SweepResult:
    claimed: int = 0
    digests_sent: int = 0
    items_reminded: int = 0
    deferred_quiet: int = 0
    failed_permanent: int = 0
    released: int = 0
    lost_claims: int = 0
    escalations_sent: int = 0
    postmortem_reminders: int = 0
    rate_limited: bool = False
    seconds: float = 0.0
    owners: list[str] = field(default_factory=list)


class _StopSweep(Exception):
    """Slack asked us to back off for longer than is worth waiting inside one sweep."""


async def sweep(
    services: Services,
    now: datetime,
    *,
    lease: timedelta | None = None,
    batch_rows: int = CLAIM_BATCH_ROWS,
    stop: asyncio.Event | None = None,
) -> SweepResult:
    """One sweep. Setting `stop` (shutdown) lets DMs in flight finish, starts no new ones, and hands
    the remaining claims back — gentler than cancelling, which can cut off a DM Slack already took."""
    started = time.perf_counter()
    result = SweepResult()
    token = uuid.uuid4().hex
    lease = lease or lease_for(services)
    stop = stop or asyncio.Event()
    claimed: set[int] = set()
    try:
        await _remind(services, now, token, lease, batch_rows, result, stop, claimed)
        if not (result.rate_limited or stop.is_set()):
            await _escalate(services, now, result)
            await _postmortems_due(services, now, result)
    finally:
        # Whatever we claimed and did not settle (crash in a send, shutdown mid-sweep) goes back now
        # rather than when the lease runs out; shielded so a cancelled sweep still gets to do it.
        released = await asyncio.shield(_release_all(services, token, claimed))
        result.released += released
        result.seconds = time.perf_counter() - started
    return result


async def _release_all(services: Services, token: str, ids: set[int]) -> int:
    if not ids:
        return 0
    async with services.db.transaction() as session:
        return await store.release(session, token=token, ids=ids)


async def _remind(
    services: Services,
    now: datetime,
    token: str,
    lease: timedelta,
    batch_rows: int,
    result: SweepResult,
    stop: asyncio.Event,
    claimed: set[int],
) -> None:
    settings = services.settings
    repeat = timedelta(hours=settings.scribe_reminder_repeat_hours)
    try:
        quiet = policy.parse_quiet_hours(settings.scribe_quiet_hours)
    except ValueError:
        log.warning("ignoring SCRIBE_QUIET_HOURS=%r: not HH:MM-HH:MM", settings.scribe_quiet_hours)
        quiet = None
    for _ in range(MAX_BATCHES_PER_SWEEP):
        if stop.is_set():
            return
        claim = _Claim(token, lease, services.clock() + lease, stop)
        async with services.db.transaction() as session:
            items = await store.claim_due(
                session, now=now, token=token, claimed_until=claim.deadline, max_rows=batch_rows
            )
        if not items:
            return
        claim.ids = [i.id for i in items]
        claimed.update(claim.ids)
        result.claimed += len(items)
        outcomes = await _send_batch(services, now, claim, repeat, quiet, items, result)
        # Released items are claimable again at once; stop here rather than spin on a failing owner.
        # Everything else settled moved out of the due range, so the next claim takes new owners.
        if result.rate_limited or "released" in outcomes:
            return  # the finally in sweep() releases whatever is left


async def _send_batch(
    services: Services,
    now: datetime,
    claim: _Claim,
    repeat: timedelta,
    quiet: Any,
    items: list[FollowUp],
    result: SweepResult,
) -> list[str]:
    """One digest per owner of the batch, SEND_CONCURRENCY at a time; returns the outcomes."""
    queue = list(policy.group_by_owner(items).items())
    outcomes: list[str] = []
    errors: list[BaseException] = []

    async def worker() -> None:
        # Workers are never cancelled by a sibling's failure: a DM cancelled in flight may have
        # reached Slack unconfirmed. They just stop taking owners; the rest is released.
        while queue and not (errors or result.rate_limited or claim.stop.is_set()):
            owner, owner_items = queue.pop(0)
            try:
                outcomes.append(
                    await _deliver(services, now, claim, repeat, quiet, owner, owner_items, result)
                )
            except _StopSweep:
                result.rate_limited = True
            except Exception as exc:
                errors.append(exc)

    await asyncio.gather(*(worker() for _ in range(min(SEND_CONCURRENCY, len(queue)))))
    if errors:
        raise errors[0]
    return outcomes


@dataclass
class _Claim:
    token: str
    lease: timedelta
    deadline: datetime  # claimed_until as last written for this batch
    stop: asyncio.Event
    ids: list[int] = field(default_factory=list)  # everything this batch claimed

    def needs_renewal(self, now: datetime) -> bool:
        # With half the lease left there is room for one owner's DM, Slack's retries included;
        # renewing only then saves two round trips per owner in the common case.
        return now > self.deadline - self.lease / 2


async def _deliver(
    services: Services,
    now: datetime,
    claim: _Claim,
    repeat: timedelta,
    quiet: Any,
    owner: str,
    items: list[FollowUp],
    result: SweepResult,
) -> str:
    zone_default = services.settings.zone
    token = claim.token
    ids = [i.id for i in items]
    for attempt in range(RATE_LIMIT_ATTEMPTS):
        if attempt > 0 or claim.needs_renewal(services.clock()):
            # Renew the whole batch's claim at once: owners later in the batch are waiting too.
            deadline = services.clock() + claim.lease
            async with services.db.transaction() as session:
                held = set(await store.renew(session, token=token, ids=claim.ids, claimed_until=deadline))
            claim.deadline = deadline
            ids = [i for i in ids if i in held]
            if not ids:
                result.lost_claims += len(items)
                return "lost"  # taken over by another sweep after our lease ran out, or closed meanwhile
            items = [i for i in items if i.id in held]
        try:
            return await _send_digest(services, now, token, repeat, quiet, owner, items, zone_default, result)
        except GatewayError as exc:
            error = exc.error
            kind = policy.classify_delivery_error(error, exc.status)
            if kind == "permanent":
                async with services.db.transaction() as session:
                    await store.record_failure(session, token=token, ids=ids, error=error)
                result.failed_permanent += len(ids)
                log.warning("follow-up DM to %s failed for good (%s): items %s", owner, error, ids)
                return "failed"
            if kind == "rate_limited":
                wait = max(1.0, exc.retry_after or 1.0)
                log.info("Slack rate limit while reminding %s; Retry-After %.0fs", owner, wait)
                if wait > MAX_RETRY_AFTER_WAIT or attempt == RATE_LIMIT_ATTEMPTS - 1:
                    raise _StopSweep from exc
                if await _stopped_within(claim.stop, wait):
                    break  # shutting down: release this owner rather than wait
                continue
            log.warning("follow-up DM to %s failed (%s); retrying next sweep", owner, error or exc)
            break
        except (TimeoutError, OSError) as exc:
            log.warning("follow-up DM to %s failed (%s); retrying next sweep", owner, exc)
            break
    async with services.db.transaction() as session:
        result.released += await store.release(session, token=token, ids=ids)
    return "released"


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False


async def _send_digest(
    services: Services,
    now: datetime,
    token: str,
    repeat: timedelta,
    quiet: Any,
    owner: str,
    items: list[FollowUp],
    zone_default: Any,
    result: SweepResult,
) -> str:
    ids = [i.id for i in items]
    user: dict[str, Any] | None
    try:
        user = await services.gateway.user_info(owner)
        blocked = policy.owner_block_reason(user)
    except GatewayError as exc:
        if exc.rate_limited:
            raise
        user, blocked = None, None  # cannot tell; try the DM and let it fail with its own reason
    if blocked:
        async with services.db.transaction() as session:
            await store.record_failure(session, token=token, ids=ids, error=blocked)
        result.failed_permanent += len(ids)
        return "failed"
    zone = policy.user_zone((user or {}).get("tz"), zone_default)
    later = policy.quiet_until(services.clock(), zone, quiet)
    if later is not None:
        async with services.db.transaction() as session:
            await store.release(session, token=token, ids=ids, next_remind_at=later)
        result.deferred_quiet += len(ids)
        return "deferred"
    redacted = {i.id for i in items if await can_see(services, i.channel_id, owner) is not True}
    display = services.settings.zone
    channel = await services.gateway.open_dm(owner)
    await services.gateway.post_message(
        channel,
        blocks.digest_text(items, redacted),
        blocks=blocks.digest_blocks(items, now, display, redacted=redacted),
    )
    delivered_at = services.clock()
    async with services.db.transaction() as session:
        await store.confirm_delivered(
            session,
            token=token,
            ids=ids,
            now=delivered_at,
            next_remind_at=policy.after_delivery(delivered_at, repeat),
        )
    result.digests_sent += 1
    result.items_reminded += len(ids)
    result.owners.append(owner)
    return "sent"


async def _escalate(services: Services, now: datetime, result: SweepResult) -> None:
    settings = services.settings
    zone = settings.zone
    days = settings.scribe_escalate_after_days
    async with services.db.transaction() as session:
        claimed = await store.claim_escalations(
            session, now=now, due_on_or_before=policy.escalation_cutoff(now, zone, days)
        )
    by_incident: dict[int, list[store.ItemContext]] = defaultdict(list)
    for ctx in claimed:
        by_incident[ctx.incident_id].append(ctx)
    for group in by_incident.values():
        channel_id = group[0].item.channel_id
        kind, target = policy.escalation_target(group[0].commander_id, channel_id)
        if kind == "dm" and await can_see(services, channel_id, target) is not True:
            # The descriptions come from the channel: a commander not known to be in it hears
            # about them there, not in a DM.
            kind, target = "channel", channel_id
        text = blocks.escalation_text([c.item for c in group], now, zone, days)
        ok = await _post(services, kind, target, text)
        if ok is False and kind == "dm":
            ok = await _post(services, "channel", channel_id, text)
        if ok is None:  # transient: let a later sweep escalate these again
            async with services.db.transaction() as session:
                await store.unescalate(session, [c.item.id for c in group])
        elif ok:
            result.escalations_sent += 1


async def _postmortems_due(services: Services, now: datetime, result: SweepResult) -> None:
    settings = services.settings
    window = policy.postmortem_window(now, settings.scribe_postmortem_due_hours)
    async with services.db.transaction() as session:
        due = await store.claim_postmortem_due(
            session, now=now, resolved_before=window.resolved_before, resolved_after=window.resolved_after
        )
    for inc in due:
        kind, target = policy.postmortem_target(inc.resolved_by, inc.channel_id)
        due_hours = settings.scribe_postmortem_due_hours
        text = blocks.postmortem_due_text(
            inc.channel_id, inc.resolved_at, settings.zone, to_channel=kind == "channel", due_hours=due_hours
        )
        ok = await _post(services, kind, target, text)
        if ok is False and kind == "dm":
            # The resolver cannot be reached: the channel still should hear about it.
            text = blocks.postmortem_due_text(
                inc.channel_id, inc.resolved_at, settings.zone, to_channel=True, due_hours=due_hours
            )
            ok = await _post(services, "channel", inc.channel_id, text)
        if ok is None:
            async with services.db.transaction() as session:
                await store.unclaim_postmortem(session, inc.incident_id)
        elif ok:
            result.postmortem_reminders += 1


async def _post(services: Services, kind: str, target: str, text: str) -> bool | None:
    """True sent, False failed for good, None failed for now."""
    try:
        channel = await services.gateway.open_dm(target) if kind == "dm" else target
        await services.gateway.post_message(channel, text)
        return True
    except GatewayError as exc:
        if policy.classify_delivery_error(exc.error, exc.status) == "permanent":
            log.warning("could not post to %s %s: %s", kind, target, exc.error)
            return False
        return None
    except (TimeoutError, OSError):
        return None
