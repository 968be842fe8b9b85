"""Change lineage: which messages are one change, which service each change is of, and which deploy
each rollback undid. Pure: timeline entries in, change records and rollback pairings out.

The rules (docs/postmortem.md, "Changes and rollbacks"):
- messages sharing a change id are one change, and one that names the id without a service takes
  the service the other messages gave that id ("Starting deploy DEP-7781" → api-gateway);
- a line naming several services ("search 2.0.0 and auth 1.4.1") is one change per service, versions
  paired by position;
- a rollback is paired with the deploy its change id names, else the one whose version it says it
  replaces, else the latest earlier deploy of the same service — never a deploy of another service,
  never a deploy to the version it rolls back to. A rollback whose service cannot be determined is
  paired with nothing, and the draft says so instead of guessing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.domain import RefValue, TimelineEntry

from .changes import Change, record_facts
from .evidence import first_ref, ref_of, ref_values
from .text import format_duration

# Messages about one change often omit its id ("rollback done"); such a message joins the recent
# change of the same kind posted within this gap, when that change is the only candidate.
MERGE_GAP = timedelta(minutes=30)
UNKNOWN = "unknown (not in the timeline)"
REVIEW_HINT = "service not determined — name it in the channel or see `/postmortem review`"


@dataclass(frozen=True, slots=True)
class RollbackInfo:
    """One rollback and the deploy it undid (None when the timeline does not show which)."""

    change_id: str | None
    service: str | None
    failed_version: str | None
    rolled_back_to: str | None
    failed_change_id: str | None
    deploy_started_at: datetime | None
    rollback_started_at: datetime
    rollback_last_at: datetime
    duration: str  # failed deploy start → last message of this rollback
    line: str  # "api-gateway: Failed version v2.14.0 → rolled back to v2.13.2"


@dataclass(frozen=True, slots=True)
class Lineage:
    changes: tuple[Change, ...]
    rollbacks: tuple[RollbackInfo, ...]
    # Slack ts → service, for entries that do not name a service but share a change id with one that
    # does: the timeline shows the service there too.
    inherited_services: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Fact:
    """One change as one message states it (a message naming two services states two)."""

    entry: TimelineEntry
    kind: str
    change_id: str | None
    service: str | None
    version: str | None
    from_version: str | None


@dataclass(slots=True)
class _Group:
    kind: str
    change_id: str | None
    service: str | None
    version: str | None
    from_version: str | None = None
    reverts: str | None = None
    last: datetime | None = None
    entries: list[TimelineEntry] = field(default_factory=list)


# "4/4 hosts", "3 of 4": progress counts that a looser reader could take for a version.
_COUNT = re.compile(r"^\d+\s*(?:/|of)\s*\d+$", re.I)


def _versions(refs: Mapping[str, RefValue], key: str) -> tuple[str, ...]:
    return tuple(v for v in ref_values(refs, key) if not _COUNT.match(v.strip()))


def _positional(values: tuple[str, ...], i: int, n: int) -> str | None:
    """The i-th of n services' value: by position when the message wrote one per service, the only
    value when there is one service, otherwise unknown (one version for two services is ambiguous)."""
    if n == 1:
        return values[0] if values else None
    return values[i] if len(values) == n else None


def _facts(e: TimelineEntry) -> list[_Fact]:
    refs = e.refs
    services = ref_values(refs, "service")
    versions, froms = _versions(refs, "version"), _versions(refs, "from_version")
    ids = ref_values(refs, "change_id")
    n = max(len(services), 1)
    return [
        _Fact(
            entry=e,
            kind=e.kind,
            # One id for several services is the id of the batch: each service's change carries it.
            change_id=ids[i] if len(ids) == n else (ids[0] if ids else None),
            service=services[i] if services else None,
            version=_positional(versions, i, n),
            from_version=_positional(froms, i, n),
        )
        for i in range(n)
    ]


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.lower() == b.lower()


def _id_services(entries: Sequence[TimelineEntry]) -> dict[str, str]:
    """Change id → the one service the messages naming it give it (ids given several are left out)."""
    seen: dict[str, set[str]] = {}
    for e in entries:
        ids, services = ref_values(e.refs, "change_id"), ref_values(e.refs, "service")
        if not ids or not services:
            continue
        if len(ids) == len(services):
            pairs = zip(ids, services, strict=True)
        else:
            pairs = ((cid, s) for cid in ids for s in services)
        for cid, s in pairs:
            seen.setdefault(cid, set()).add(s.lower())
    named = {cid: next(iter(svcs)) for cid, svcs in seen.items() if len(svcs) == 1}
    # Keep the service as first written rather than lower-cased.
    written: dict[str, str] = {}
    for e in entries:
        for cid in ref_values(e.refs, "change_id"):
            if cid in named and cid not in written:
                match = next((s for s in ref_values(e.refs, "service") if s.lower() == named[cid]), None)
                if match:
                    written[cid] = match
    return written


def _join_recent(
    fact: _Fact, change_id: str | None, service: str | None, reverts: str | None, recent: list[_Group]
) -> _Group | None:
    at = fact.entry.occurred_at
    candidates = [
        g
        for g in recent
        if g.last is not None
        and at - g.last <= MERGE_GAP
        and _compatible(change_id, g.change_id)
        and _compatible(service, g.service)
        and _compatible(fact.version, g.version)
        and _compatible(reverts, g.reverts)
    ]
    if not candidates:
        return None
    if service is None and change_id is None and reverts is None:
        # "rollback done" after rollbacks of two services: which one is unknown, so it joins none.
        if len({(g.service or "").lower() for g in candidates}) > 1:
            return None
    return candidates[-1]


def _group(facts: Iterable[_Fact], id_services: Mapping[str, str], deploy_ids: set[str]) -> list[_Group]:
    by_id: dict[tuple[str, str, str], _Group] = {}
    recent: dict[str, list[_Group]] = {"deploy": [], "rollback": []}
    groups: list[_Group] = []
    for f in facts:
        cid, reverts = f.change_id, None
        if f.kind == "rollback" and cid in deploy_ids:
            cid, reverts = None, cid  # it names the deploy being reverted, not the rollback's own record
        service = f.service or id_services.get(cid or "") or id_services.get(reverts or "")
        key = (f.kind, cid, (service or "").lower()) if cid else None
        g = by_id.get(key) if key else None
        if g is None:
            g = _join_recent(f, cid, service, reverts, recent[f.kind][-3:])
        if g is None:
            g = _Group(f.kind, None, None, None)
            groups.append(g)
            recent[f.kind].append(g)
        if not g.entries or g.entries[-1] is not f.entry:
            g.entries.append(f.entry)
        g.last = f.entry.occurred_at
        if cid and g.change_id is None:
            g.change_id = cid
            by_id[(f.kind, cid, (service or g.service or "").lower())] = g
        g.service = g.service or service
        g.version = g.version or f.version
        g.from_version = g.from_version or f.from_version
        g.reverts = g.reverts or reverts
    return groups


def _change(g: _Group) -> Change:
    members = g.entries
    facts = record_facts(members)
    environment = next((v for i in members if (v := first_ref(i.refs, "environment"))), None)
    return Change(
        kind=g.kind,
        change_id=g.change_id,
        service=g.service,
        version=g.version,
        from_version=g.from_version,
        environment=environment,
        started_at=members[0].occurred_at,
        last_at=members[-1].occurred_at,
        refs=tuple(ref_of(i) for i in members),
        approvals=facts.approvals,
        approvals_needed=facts.approvals_needed,
        window_marker=facts.window_marker,
        author=facts.author,
        state=facts.state,
        reverts=g.reverts,
    )


class _Deploys:
    """The deploy records in start order, indexed so that pairing a rollback looks only at the deploys
    of its change id, version or service rather than at every earlier deploy (a long timeline has
    thousands of deploys and as many rollbacks)."""

    def __init__(self, deploys: Sequence[Change]) -> None:
        self.deploys = deploys
        self.starts = [d.started_at for d in deploys]
        self.by_id: dict[str, list[int]] = {}
        self.by_version: dict[str, list[int]] = {}
        self.by_service: dict[str, list[int]] = {}
        self.by_from: dict[str, list[int]] = {}
        for i, d in enumerate(deploys):
            if d.change_id is not None:
                self.by_id.setdefault(d.change_id, []).append(i)
            for index, value in (
                (self.by_version, d.version),
                (self.by_service, d.service),
                (self.by_from, d.from_version),
            ):
                if value is not None:
                    index.setdefault(value.lower(), []).append(i)

    def latest(self, positions: Sequence[int], before: int, keep: Callable[[Change], bool]) -> Change | None:
        """The last deploy at one of `positions` (ascending) below `before` that `keep` accepts."""
        for k in range(bisect_left(positions, before) - 1, -1, -1):
            d = self.deploys[positions[k]]
            if keep(d):
                return d
        return None

    def undone(self, rb: Change) -> Change | None:
        """The deploy a rollback undid, or None when the timeline does not say which."""
        if rb.reverts:
            ids = self.by_id.get(rb.reverts, ())
            named = self.latest(ids, len(self.deploys), lambda d: _compatible(rb.service, d.service))
            if named is not None:
                return named
        # Deploys begun by the rollback's start; one to the version being rolled back to is the state
        # returned to, not the failure.
        before = bisect_right(self.starts, rb.started_at)

        def earlier(d: Change) -> bool:
            return not _same(d.version, rb.version)

        if rb.from_version:
            same_version = self.latest(
                self.by_version.get(rb.from_version.lower(), ()),
                before,
                lambda d: earlier(d) and _compatible(rb.service, d.service),
            )
            if same_version is not None:
                return same_version
        if rb.service:
            return self.latest(self.by_service.get(rb.service.lower(), ()), before, earlier)
        if rb.version:
            # Unknown service, but the rollback's target is the version a deploy said it came from.
            return self.latest(self.by_from.get(rb.version.lower(), ()), before, earlier)
        return None


def _rollback_info(rb: Change, deploy: Change | None) -> RollbackInfo:
    service = rb.service or (deploy.service if deploy else None)
    failed = rb.from_version or (deploy.version if deploy else None)
    if failed is not None:
        failed_text = failed
    elif service is None:
        failed_text = f"unknown ({REVIEW_HINT})"
    else:
        failed_text = f"unknown (no earlier deploy of {service} in the timeline)"
    who = service or "Service unknown"
    line = f"{who}: Failed version {failed_text} → rolled back to {rb.version or UNKNOWN}"
    if deploy is not None:
        duration = format_duration(rb.last_at - deploy.started_at)
    elif service is None:
        duration = "unknown (which deploy this rollback undid is not in the timeline)"
    else:
        duration = f"unknown (no deploy of {service} before the rollback)"
    return RollbackInfo(
        change_id=rb.change_id,
        service=service,
        failed_version=failed,
        rolled_back_to=rb.version,
        failed_change_id=deploy.change_id if deploy else rb.reverts,
        deploy_started_at=deploy.started_at if deploy else None,
        rollback_started_at=rb.started_at,
        rollback_last_at=rb.last_at,
        duration=duration,
        line=line,
    )


def trace(entries: Iterable[TimelineEntry]) -> Lineage:
    """Changes in order of their first message, every rollback paired, and the services entries
    inherit from their change id. `entries` in timeline order."""
    ordered = list(entries)
    id_services = _id_services(ordered)
    items = [e for e in ordered if e.kind in ("deploy", "rollback")]
    facts = [f for e in items for f in _facts(e)]
    deploy_ids = {f.change_id for f in facts if f.kind == "deploy" and f.change_id}
    changes = [_change(g) for g in _group(facts, id_services, deploy_ids)]
    changes.sort(key=lambda c: c.started_at)

    deploys = _Deploys([c for c in changes if c.kind == "deploy"])
    position = {id(c): i for i, c in enumerate(changes)}
    rollbacks: list[RollbackInfo] = []
    paired: dict[int, Change] = {}
    for i, rb in enumerate(changes):
        if rb.kind != "rollback":
            continue
        deploy = deploys.undone(rb)
        rollbacks.append(_rollback_info(rb, deploy))
        if deploy is None:
            continue
        # The rollback's row shows what it replaced: the version of the deploy it undid.
        paired[i] = replace(
            rb, service=rb.service or deploy.service, from_version=rb.from_version or deploy.version
        )
        j = position[id(deploy)]
        if changes[j].rolled_back_by is None:
            paired[j] = replace(paired.get(j, deploy), rolled_back_by=paired[i].label)
    changes = [paired.get(i, c) for i, c in enumerate(changes)]

    inherited = {
        e.ts: id_services[cid]
        for e in ordered
        if not ref_values(e.refs, "service") and (cid := first_ref(e.refs, "change_id")) in id_services
    }
    return Lineage(tuple(changes), tuple(rollbacks), inherited)
