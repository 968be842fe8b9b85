"""Alerts as the draft tells them, end to end: messages posted into the simulated Slack, captured
through signed events, drafted with a signed `/postmortem draft`, read back from the uploaded
Markdown, on SQLite and PostgreSQL.

A person's "the alert is fine now" does not end an alert Alertmanager still reports firing; a
PagerDuty page of an alert Alertmanager reported is the same alert, and its acknowledgement names
the person who acknowledged, not PagerDuty."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.e2e.harness import Harness
from tests.e2e.test_lineage import draft, settle, table

ALERTS_HEADER = "| alert | service | fired (UTC) | resolved (UTC) | firing for |"
INSTANTS_HEADER = "| Instant | Time (UTC) | Basis |"
CLAIMS_HEADER = "| claim_id | statement | evidence_refs | confidence |"


def _clock() -> Callable[..., str]:
    """Message ts `minute`:`second` after a start three hours ago."""
    base = int(time.time()) - 3 * 3600
    return lambda minute, second=0: f"{base + minute * 60 + second}.000100"


async def test_a_persons_unnamed_resolution_does_not_end_alertmanagers_alert(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice, bob = h.sim.add_user("alice"), h.sim.add_user("bob")
        deployer = h.sim.add_user("deploybot", is_bot=True)
        channel = h.sim.add_channel("inc-600-search", members=[alice, bob])
        ts = _clock()
        post = h.sim.post_message
        await post(channel, deployer, "Deploy DEP-990 search v2.4.0 to prod succeeded", ts=ts(0))
        firing = {"title": "[FIRING:1] SearchLatencyHigh search prod", "text": "p99 4s"}
        await post(channel, None, "", attachments=[firing], username="Alertmanager", ts=ts(5))
        await post(channel, bob, "ack, looking", ts=ts(7))
        await post(channel, alice, "the alert is fine now, search recovered", ts=ts(15))
        resolved = {"title": "[RESOLVED] SearchLatencyHigh search prod"}
        await post(channel, None, "", attachments=[resolved], username="Alertmanager", ts=ts(25))
        await settle(h)
        markdown, _summary = await draft(h, channel, alice)

        rows = table(markdown, ALERTS_HEADER)
        assert [(r[0], r[4]) for r in rows] == [("SearchLatencyHigh", "20 min")], rows
        assert "- **Alerts:** 1 captured, 1 resolved" in markdown
        mitigation = next(r for r in table(markdown, INSTANTS_HEADER) if r[0] == "**Mitigation**")
        assert mitigation[2] == "all alerts resolved — SearchLatencyHigh", mitigation
        assert "| **Time to mitigate** | 20 min |" in markdown
        claims = "\n".join(r[1] for r in table(markdown, CLAIMS_HEADER))
        assert "1 alert fired during the incident: SearchLatencyHigh." in claims
        assert "alert_resolved by alice" not in markdown


async def test_a_pagerduty_page_is_the_alert_it_pages_and_its_ack_names_the_person(db_url: str) -> None:
    async with Harness(db_url) as h:
        bob = h.sim.add_user("bob")
        pagerduty = h.sim.add_user("pagerduty", is_bot=True)
        channel = h.sim.add_channel("inc-1300-payments", members=[bob])
        ts = _clock()
        post = h.sim.post_message
        firing = {"title": "[FIRING:1] PaymentsHigh5xx payments prod", "text": "5xx ratio 9%"}
        await post(channel, None, "", attachments=[firing], username="Alertmanager", ts=ts(11))
        await post(channel, pagerduty, "Triggered: #PD-8812 PaymentsHigh5xx on payments", ts=ts(11, 20))
        await post(channel, pagerduty, "Acknowledged by bob: #PD-8812 PaymentsHigh5xx", ts=ts(14))
        resolved = {"title": "[RESOLVED] PaymentsHigh5xx payments prod"}
        await post(channel, None, "", attachments=[resolved], username="Alertmanager", ts=ts(31))
        await post(channel, pagerduty, "Resolved: #PD-8812 PaymentsHigh5xx", ts=ts(40))
        await settle(h)
        markdown, _summary = await draft(h, channel, bob)

        rows = table(markdown, ALERTS_HEADER)
        assert [(r[0], r[1], r[4]) for r in rows] == [("PaymentsHigh5xx", "payments", "20 min")], rows
        claims = "\n".join(r[1] for r in table(markdown, CLAIMS_HEADER))
        assert "1 alert fired during the incident: PaymentsHigh5xx." in claims
        assert "On-call acknowledged (bob) 3 min after the first alert." in claims
        assert "(pagerduty)" not in markdown and "Triggered: #PD-8812" not in claims
        timeline = markdown[markdown.index("## Timeline") :]
        assert "| ack |  | PaymentsHigh5xx | pagerduty: Acknowledged by bob" in timeline
