"""The channel summary posted with `/postmortem draft`: Block Kit blocks plus a plain-text fallback.

Built with slack_sdk's models so `to_dict()` validates them, and sized before validation: Slack allows
at most 50 blocks, 3,000 characters per section text, 10 fields of 2,000, a 150-character header and
40,000 characters of message text. Nothing in slack_sdk checks the 50-block cap, so `cap_blocks` does.

Each value is escaped by where it came from, and broadcasts are neutralised either way. What a person
typed (decisions, follow-up descriptions) is stored in Slack's wire form and already is `mrkdwn`, so it
goes through `mrkdwn_line`: escaping it again would show `&amp;lt;`. Services, versions and change ids are
cut out of that same wire text (a `&amp;` in one is already escaped), so they and the rollback lines built
from them take `mrkdwn`; their alphabets hold no `<`, `>`, `&` or `|`, so no half markup can reach Slack.
Values that never were wire text - status, severity, names from user profiles, durations, policy flags
(they quote the change window setting), the "what changed" line (alert names from integrations) - take
`slack_escape`.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from .assemble import Report
from .changes import Change
from .text import mrkdwn, mrkdwn_line, neutralise_mentions, slack_escape, truncate, truncate_wire

MAX_BLOCKS = 50
SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
CONTEXT_MAX = 3000
FALLBACK_MAX = 40_000
LIST_MAX = 15  # lines per list section before "…and N more"
LINE_MAX = 200  # characters of one decision or follow-up description


def bounded_lines(
    title: str, lines: Sequence[str], limit: int = SECTION_MAX, max_lines: int = LIST_MAX
) -> str:
    """`*title*` and as many whole lines as fit in `limit`, then "…and N more"."""
    out = [f"*{title}*"]
    size = len(out[0])
    shown = 0
    for line in lines[:max_lines]:
        reserve = 40 if shown < len(lines) - 1 else 0  # room for the "…and N more" line
        if size + 1 + len(line) + reserve > limit:
            break
        out.append(line)
        size += 1 + len(line)
        shown += 1
    if shown < len(lines):
        out.append(f"…and {len(lines) - shown} more in the draft")
    return truncate("\n".join(out), limit)


def cap_blocks(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """Keep the first `limit - 1` blocks and say how many were dropped."""
    if len(blocks) <= limit:
        return blocks
    dropped = len(blocks) - (limit - 1)
    note = ContextBlock(elements=[MarkdownTextObject(text=f"…{dropped} more blocks in the attached draft")])
    return [*blocks[: limit - 1], note]


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_MAX)))


def _change_line(c: Change) -> str:
    arrow = f"{c.from_version or '?'} → {c.version}" if c.version else ""
    parts = [c.kind, f"`{c.change_id}`" if c.change_id else "", c.service or "(service unknown)", arrow]
    return "• " + mrkdwn(f"{' '.join(p for p in parts if p)} — {c.status}")


def summary_blocks(report: Report, *, version: int, changed: str | None) -> tuple[list[dict], str]:
    """Blocks (as dicts, validated) and the plain-text fallback for chat.postMessage."""
    h, m, counts = report.header, report.metrics, report.counts
    tz = report.tz
    title = neutralise_mentions(f"Post-mortem draft v{version}: {h.incident_id}")
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_MAX)))]

    fields = [
        f"*Status*\n{slack_escape(h.status)}",
        f"*Severity*\n{slack_escape(h.severity or 'unknown')}",
        f"*Duration*\n{slack_escape(m.total_duration.text)}",
        f"*Commander*\n{slack_escape(h.commander or 'unknown')}",
    ]
    if m.start.at is not None:
        fields.append(f"*Started*\n{m.start.at.astimezone(tz):%Y-%m-%d %H:%M %Z}")
    if h.services:
        fields.append(f"*Services*\n{mrkdwn(', '.join(h.services))}")
    blocks.append(SectionBlock(fields=[MarkdownTextObject(text=truncate(f, FIELD_MAX)) for f in fields[:10]]))

    metric_lines = [f"• {s.label}: {slack_escape(s.text)}" for s in m.spans]
    blocks.append(_section(bounded_lines("Metrics", metric_lines)))

    change_lines = [f"*{mrkdwn(r.line)}*" for r in report.rollbacks]
    change_lines += [_change_line(c) for c in report.changes]
    if change_lines:
        blocks.append(_section(bounded_lines("Changes", change_lines)))

    if report.decisions:
        decision_lines = [
            f"• `{d.at.astimezone(tz):%H:%M}` {mrkdwn_line(d.text, LINE_MAX)}" for d in report.decisions
        ]
        blocks.append(_section(bounded_lines("Decisions", decision_lines)))

    if report.flags:
        blocks.append(
            _section(
                bounded_lines(
                    f":warning: Policy flags ({len(report.flags)})",
                    [f"• {slack_escape(f.statement)}" for f in report.flags],
                )
            )
        )

    open_items = [a for a in report.actions if a.status != "done"]
    due = sorted((a for a in open_items if a.due), key=lambda a: (not a.overdue, a.due))
    if due:
        lines = [
            f"• {mrkdwn_line(a.description, LINE_MAX)} — {slack_escape(a.owner)}, due {a.due}"
            + (" *(overdue)*" if a.overdue else "")
            for a in due
        ]
        blocks.append(
            _section(bounded_lines(f"Follow-ups due ({len(due)} of {len(open_items)} open)", lines))
        )

    blocks.append(DividerBlock())
    count_text = (
        f"{counts.timeline} timeline events from {counts.messages} messages · {len(report.alerts)} alerts · "
        f"{len(report.changes)} changes · {len(report.claims)} claims · "
        f"{counts.chatter} chatter lines not in the timeline"
    )
    context = [MarkdownTextObject(text=count_text)]
    if changed:
        context.append(MarkdownTextObject(text=truncate(slack_escape(changed), CONTEXT_MAX)))
    context.append(MarkdownTextObject(text="Full draft attached as a Markdown file."))
    blocks.append(ContextBlock(elements=context))

    blocks = cap_blocks(blocks)
    as_dicts = [b.to_dict() for b in blocks]
    return as_dicts, fallback_text(report, version=version, changed=changed)


def fallback_text(report: Report, *, version: int, changed: str | None) -> str:
    """Plain text for notifications and clients without Block Kit (Slack parses it as mrkdwn)."""
    h, m = report.header, report.metrics
    lines = [
        slack_escape(
            f"Post-mortem draft v{version}: {h.incident_id} — {h.status}, duration {m.total_duration.text}"
        ),
        slack_escape(" · ".join(f"{s.label}: {s.text}" for s in m.spans[:4])),
    ]
    lines.extend(mrkdwn(r.line) for r in report.rollbacks)
    lines.extend(slack_escape(f"Policy flag: {f.statement}") for f in report.flags[:20])
    if changed:
        lines.append(slack_escape(changed))
    return truncate_wire("\n".join(lines), FALLBACK_MAX)
