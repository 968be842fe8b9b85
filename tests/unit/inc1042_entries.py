"""INC-1042 (seed 000) as the bot stores it: Slack messages from people and bots, already classified.

Shared by the post-mortem tests and bench/render.py (with a synthetic generator for scale, and the
helpers that build a report and check Markdown tables). Times are seed 000's, in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.domain import FollowUp, Incident, TimelineEntry
from bot.postmortem.assemble import Report, build_report
from bot.postmortem.policy import Policy

CHANNEL = "C1042"
T0 = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)

INCIDENT = Incident(
    channel_id=CHANNEL,
    channel_name="incident-1042",
    status="resolved",
    opened_at=T0 + timedelta(minutes=3, seconds=30),
    resolved_at=T0 + timedelta(minutes=31),
    severity="high",
    commander_id="U_CAROL",
    commander_name="carol",
    id=1042,
    # Set by a person (`/postmortem severity|ic`): nothing in the timeline names them.
    severity_set_by="U_CAROL",
    severity_set_at=T0 + timedelta(minutes=6),
    commander_set_by="U_CAROL",
    commander_set_at=T0 + timedelta(minutes=6),
)

_seq = 0


def _e(
    minutes: float,
    kind: str,
    text: str,
    *,
    who: str,
    bot: bool = False,
    source: str | None = None,
    capture: str = "auto",
    locked: bool = False,
    **refs: str,
) -> TimelineEntry:
    global _seq
    _seq += 1
    at = T0 + timedelta(seconds=round(minutes * 60))
    # Messages in the same second keep their posting order through the ts suffix, as in Slack.
    ts = f"{int(at.timestamp())}.{_seq:06d}"
    return TimelineEntry(
        channel_id=CHANNEL,
        ts=ts,
        occurred_at=at,
        kind=kind,
        text=text,
        refs=refs,
        author_id=None if bot else f"U_{who.upper()}",
        author_name=who,
        author_kind="bot" if bot else "human",
        source=source,
        capture=capture,  # type: ignore[arg-type]
        kind_locked=locked,
        permalink=f"https://example.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}",
    )


def entries() -> list[TimelineEntry]:
    global _seq
    _seq = 0
    log = {"who": "logbot", "bot": True}
    alert = {"who": "Alertmanager", "bot": True, "source": "alertmanager"}
    ci = {"who": "deploybot", "bot": True, "source": "ci"}
    return [
        _e(
            -2,
            "other",
            "DEP-7781 ready for api-gateway v2.14.0 — can we deploy at 10am?",
            who="alice",
            change_id="DEP-7781",
            service="api-gateway",
            version="v2.14.0",
        ),
        _e(
            -1,
            "other",
            "Reminder: prod deploys need 2 explicit approvals and must be in change window.",
            who="carol",
        ),
        _e(0, "deploy", "Starting deploy DEP-7781 now.", who="alice", change_id="DEP-7781"),
        _e(
            0,
            "deploy",
            "DEP-7781: Deploy api-gateway v2.14.0 to prod "
            "(approvals 1/2, window=out_of_window, author=ops-alice)",
            **ci,
            change_id="DEP-7781",
            service="api-gateway",
            version="v2.14.0",
            environment="prod",
        ),
        _e(0, "other", "Proceed with caution — keep an eye on metrics.", who="dave"),
        _e(2, "other", "[LOG] Memory pressure increasing; GC frequency up", **log, service="api-gateway"),
        _e(2 + 50 / 60, "other", "[LOG] Heap usage above 80%", **log, service="api-gateway"),
        _e(
            3,
            "alert_firing",
            "[FIRING:1] ALT-CPU-1042 api-gateway pool CPU 94% for 5m",
            **alert,
            alert="ALT-CPU-1042",
            service="api-gateway",
        ),
        _e(3.25, "other", "[LOG] Upstream timeouts from auth-service", **log, service="api-gateway"),
        _e(3 + 40 / 60, "other", "[LOG] Retry backoff for auth-service", **log, service="api-gateway"),
        _e(4, "ack", "Acknowledged — investigating CPU and 5xx alerts.", who="bob"),
        _e(
            4,
            "alert_firing",
            "[FIRING:1] ALT-5XX-1042 5xx rate 12% on api-gateway",
            **alert,
            alert="ALT-5XX-1042",
            service="api-gateway",
        ),
        _e(
            4 + 10 / 60,
            "other",
            "[LOG] 5xx errors spiking; returning 503 from multiple routes",
            **log,
            service="api-gateway",
        ),
        _e(5.5, "other", "[LOG] Circuit breaker open for auth-service", **log, service="api-gateway"),
        _e(10, "other", "anyone want coffee? ☕", who="dave"),
        _e(
            22,
            "decision",
            "Decision: we roll back DEP-7781 instead of fixing forward.",
            who="carol",
            capture="reaction",
            locked=True,
            change_id="DEP-7781",
        ),
        _e(
            25,
            "other",
            "INC-1042: Production 5xx after DEP-7781",
            who="pagerbot",
            bot=True,
            ticket="INC-1042",
        ),
        _e(
            27,
            "rollback",
            "Rollback DEP-7781 api-gateway (TKT-ROLLBACK-7781)",
            **ci,
            change_id="DEP-7781",
            service="api-gateway",
            ticket="TKT-ROLLBACK-7781",
        ),
        _e(
            27,
            "rollback",
            "RB-7781: Rollback api-gateway to v2.13.2",
            **ci,
            change_id="RB-7781",
            service="api-gateway",
            version="v2.13.2",
            from_version="v2.14.0",
        ),
        _e(27, "rollback", "Initiating rollback DEP-7781.", who="bob", change_id="DEP-7781"),
        _e(
            29,
            "alert_resolved",
            "[RESOLVED] ALT-CPU-1042 api-gateway pool CPU back to normal after rollback",
            **alert,
            alert="ALT-CPU-1042",
            service="api-gateway",
        ),
        _e(
            29,
            "alert_resolved",
            "[RESOLVED] ALT-5XX-1042 5xx rate normalized post-rollback",
            **alert,
            alert="ALT-5XX-1042",
            service="api-gateway",
        ),
        _e(
            30,
            "mitigated",
            "5xx back to baseline after the rollback, we're mitigated. Watching it.",
            who="bob",
        ),
        _e(31, "resolved", "Resolving INC-1042 — thanks all.", who="carol", ticket="INC-1042"),
        _e(
            40,
            "note",
            "DEP-7781 went out with 1 of 2 approvals, outside the change window.",
            who="carol",
            capture="note",
            change_id="DEP-7781",
        ),
    ]


def followups() -> list[FollowUp]:
    created = T0 + timedelta(minutes=45)
    return [
        FollowUp(
            1,
            CHANNEL,
            "U_CAROL",
            "Post-mortem and approval policy review.",
            "U_CAROL",
            created,
            priority="high",
            due=date(2026, 2, 12),
            owner_name="carol",
        ),
        FollowUp(
            2,
            CHANNEL,
            "U_BOB",
            "Verify monitoring alerts and rollback runbooks.",
            "U_CAROL",
            created,
            priority="medium",
            due=date(2026, 2, 9),
            owner_name="bob",
        ),
        FollowUp(
            3,
            CHANNEL,
            "U_ALICE",
            "Add canary deployment for api-gateway",
            "U_CAROL",
            created,
            priority="low",
            owner_name="alice",
            status="done",
        ),
    ]


def synthetic_entries(n: int, *, channel: str = CHANNEL) -> list[TimelineEntry]:
    """`n` entries cycling through every kind, with many distinct changes, alerts and flags.

    For scale tests and bench/render.py: the summary must stay within Slack's limits however many
    changes and flags this produces.
    """
    kinds = (
        "other",
        "deploy",
        "alert_firing",
        "ack",
        "other",
        "decision",
        "rollback",
        "alert_resolved",
        "note",
    )
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        k = i // len(kinds)
        at = T0 + timedelta(seconds=i * 7)
        refs: dict[str, str] = {"service": f"svc-{k % 50}"}
        text = f"message {i} about svc-{k % 50}: " + "details | with a pipe " * 3
        if kind == "deploy":
            refs |= {"change_id": f"DEP-{k}", "version": f"v1.{k}.0"}
            text = f"DEP-{k}: Deploy svc-{k % 50} v1.{k}.0 to prod (approvals 1/2, window=out_of_window)"
        elif kind == "rollback":
            refs |= {"change_id": f"RB-{k}", "version": f"v1.{k - 1}.0"}
            text = f"RB-{k}: Rollback svc-{k % 50} to v1.{k - 1}.0"
        elif kind in ("alert_firing", "alert_resolved"):
            refs["alert"] = f"ALT-{k}"
            text = (
                f"[{'FIRING' if kind == 'alert_firing' else 'RESOLVED'}] ALT-{k} error rate on svc-{k % 50}"
            )
        out.append(
            TimelineEntry(
                channel_id=channel,
                ts=f"{int(at.timestamp())}.{i % 1_000_000:06d}",
                occurred_at=at,
                kind=kind,
                text=text,
                refs=refs,
                author_id=f"U{i % 40}",
                author_name=f"user{i % 40}",
                author_kind="bot" if kind.startswith("alert") else "human",
                source="alertmanager" if kind.startswith("alert") else None,
            )
        )
    return out


# --- helpers shared by the post-mortem tests -------------------------------------------------------


def report_for(
    items: Sequence[TimelineEntry] | None = None,
    fus: Sequence[FollowUp] | None = None,
    *,
    incident: Incident = INCIDENT,
    tz: tzinfo = UTC,
    policy: Policy | None = None,
) -> Report:
    """The INC-1042 report (or one over `items`/`fus`), with 2 approvals and Mon-Fri 09:00-17:00 UTC."""
    return build_report(
        incident,
        entries() if items is None else items,
        followups() if fus is None else fus,
        now=NOW,
        tz=tz,
        policy=policy or Policy.from_strings(2, "Mon-Fri 09:00-17:00", UTC),
    )


def split_row(line: str) -> list[str]:
    """Cells of a GFM table row: a backslash escapes the next character, other pipes separate."""
    cells, cur, i = [], [], 0
    body = line.strip()
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            cur.append(body[i : i + 2])
            i += 2
            continue
        if ch == "|":
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    cells.append("".join(cur))
    return cells[1:-1]  # drop what is outside the leading and trailing pipes


def tables(markdown: str) -> list[list[str]]:
    """Consecutive lines starting with '|' (outside code fences) form one table."""
    out: list[list[str]] = []
    cur: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def assert_tables_intact(markdown: str) -> None:
    for table in tables(markdown):
        width = len(split_row(table[0]))
        for line in table:
            assert line.rstrip().endswith("|"), line
            assert len(split_row(line)) == width, (
                f"row has {len(split_row(line))} cells, header {width}: {line}"
            )
