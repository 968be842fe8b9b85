"""Uptime Kuma's Down then Up, as its Slack notifier posts them (an incoming webhook: a legacy
`bot_message` with text and an attachment of header + fields blocks), through the signed request
path into the timeline and the draft, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tests.e2e.harness import Harness

DOWN_AT = datetime(2026, 3, 9, 8, 41, 17, tzinfo=UTC)
UP_AT = datetime(2026, 3, 9, 8, 52, 3, tzinfo=UTC)
MONITOR = "orders-api /health"


def kuma(status: str, detail: str, at: datetime, color: str) -> tuple[str, list[dict[str, Any]]]:
    """slack.js: text "Uptime Kuma Alert\\n<msg>", one attachment with a header and two fields."""
    msg = f"[{MONITOR}] [{status}] {detail}"
    attachment = {
        "color": color,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Uptime Kuma Alert"}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Message*\n" + msg},
                    {"type": "mrkdwn", "text": "*Time (UTC)*\n" + at.strftime("%Y-%m-%d %H:%M:%S")},
                ],
            },
        ],
    }
    return "Uptime Kuma Alert\n" + msg, [attachment]


async def test_down_then_up_fire_and_resolve_the_alert_and_detection_is_the_down(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-kuma", members=[alice])
        posted = []
        for status, detail, at, color in (
            ("🔴 Down", "Request failed with status code 502", DOWN_AT, "#e01e5a"),
            ("✅ Up", "200 - OK", UP_AT, "#2eb886"),
        ):
            text, attachments = kuma(status, detail, at, color)
            result = await h.sim.post_message(
                chan, None, text, attachments=attachments, username="Uptime Kuma", ts=f"{at.timestamp():.6f}"
            )
            assert result.status == 200
            posted.append(result.ts)
        await h.idle()

        async with h.db.session() as session:
            rows = (
                await session.execute(
                    sa.text("SELECT ts, kind, author_kind, refs FROM timeline_entry ORDER BY ts")
                )
            ).mappings()
            entries = [dict(r) for r in rows]
        assert [(e["ts"], e["kind"], e["author_kind"]) for e in entries] == [
            (posted[0], "alert_firing", "bot"),
            (posted[1], "alert_resolved", "bot"),
        ]
        assert all(MONITOR in str(e["refs"]) for e in entries)

        ack = await h.sim.slash_command(chan, alice, "draft")
        assert ack.status == 200
        await h.idle()
        await h.sim.settle()
        await h.idle()
        draft = h.sim.files_in(chan)[-1].content
        assert draft is not None
        text = draft.decode("utf-8")
        # Detection is the first alert firing: the Down message's time, not the Up's.
        assert f"| **Detection** | {DOWN_AT:%Y-%m-%d %H:%M:%S} UTC | first alert firing — {MONITOR} |" in text
        # The Up resolved the alert the Down fired: one alert, firing and resolved times paired.
        iso = "%Y-%m-%dT%H:%M:%S.000Z"
        assert f"| {MONITOR} |  | {DOWN_AT:{iso}} | {UP_AT:{iso}} |" in text
