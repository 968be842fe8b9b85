"""The reviewer's case end to end: two services deploy, only search alerts, search rolls back. The
draft's claims, summary and impact start relate search's deploy to search's alert and never web's —
messages posted into the simulated Slack, captured through signed events, drafted with a signed
`/postmortem draft`, read back from the uploaded Markdown and the channel summary, on SQLite and
PostgreSQL."""

from __future__ import annotations

from tests.e2e.harness import Harness
from tests.e2e.test_lineage import draft, settle, table

CLAIMS_HEADER = "| claim_id | statement | evidence_refs | confidence |"
INSTANTS_HEADER = "| Instant | Time (UTC) | Basis |"


async def test_web_deploy_is_never_said_to_precede_searchs_alert(db_url: str) -> None:
    async with Harness(db_url, scribe_services="web,search") as h:
        alice = h.sim.add_user("alice")
        deploybot = h.sim.add_user("deploybot", is_bot=True)
        alertmanager = h.sim.add_user("alertmanager", is_bot=True)
        channel = h.sim.add_channel("incident-3101", members=[alice, deploybot, alertmanager])
        for who, text in (
            (deploybot, "DEP-102: Deploy search 1.10.0 to prod"),
            (deploybot, "DEP-101: Deploy web 2.0.1 to prod"),
            (alertmanager, "[FIRING:1] ALT-SEARCH-5XX search 5xx rate 12%"),
            (alice, "rolling back search to 1.9.9"),
            (alertmanager, "[RESOLVED] ALT-SEARCH-5XX search 5xx rate back to normal"),
        ):
            assert (await h.sim.post_message(channel, who, text)).status == 200
        await settle(h)
        markdown, summary = await draft(h, channel, alice)

        claims = [row[1] for row in table(markdown, CLAIMS_HEADER)]
        assert claims[0].startswith("A deploy (DEP-102 search 1.10.0) preceded the first alert by "), claims
        assert "Deploys of services no alert was attributed to: DEP-101 web 2.0.1." in claims
        assert "Alerts resolved after the rollback (ALT-SEARCH-5XX), the last" in "\n".join(claims)
        for text in (markdown, summary):
            assert "DEP-101 web 2.0.1) preceded" not in text
        # The draft's summary paragraph is built from the claims and says the same.
        quote = next(
            line for line in markdown[markdown.index("## Summary") :].split("\n") if line.startswith(">")
        )
        assert quote.startswith("> A deploy (DEP-102 search 1.10.0) preceded the first alert by "), quote
        start = next(row for row in table(markdown, INSTANTS_HEADER) if row[0] == "**Start**")
        assert start[2] == "first search deploy before detection — DEP-102", start
