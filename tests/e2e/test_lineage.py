"""Change lineage in the draft, end to end: messages posted into the simulated Slack, captured through
signed events, drafted with a signed `/postmortem draft`, read back from the uploaded Markdown and the
channel summary — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from storage import services as service_store
from tests.e2e.harness import Harness
from tests.unit.inc1042_entries import split_row

CHANGES_HEADER = "| started (UTC) | kind | change | service | from → to | environment | state |"
TIMELINE_HEADER = "| ts | kind | service | ref | summary |"


async def settle(h: Harness) -> None:
    await h.idle()
    await h.sim.settle()
    await h.idle()


async def draft(h: Harness, channel: str, user: str) -> tuple[str, str]:
    """(the uploaded Markdown, the summary message's blocks and text as JSON)."""
    files_before = len(h.sim.files_in(channel))
    mark = len(h.sim.calls)
    result = await h.sim.slash_command(channel, user, "draft")
    assert result.status == 200, result.body
    await settle(h)
    files = h.sim.files_in(channel)
    assert len(files) == files_before + 1, "no draft was uploaded"
    posts = [
        c for c in h.sim.calls[mark:] if c.method == "chat.postMessage" and c.params.get("channel") == channel
    ]
    assert len(posts) == 1
    summary = json.dumps([posts[0].params.get("blocks"), posts[0].params.get("text")], ensure_ascii=False)
    assert files[-1].content is not None
    return files[-1].content.decode("utf-8"), summary


def table(markdown: str, header: str) -> list[list[str]]:
    lines = markdown.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in split_row(line)])
    return rows


def change_rows(markdown: str) -> list[dict[str, str]]:
    keys = ("started", "kind", "change", "service", "versions", "environment", "state")
    return [dict(zip(keys, row, strict=False)) for row in table(markdown, CHANGES_HEADER)]


def rollback_lines(markdown: str) -> list[str]:
    section = markdown[markdown.index("### Changes") : markdown.index(CHANGES_HEADER)]
    return [line.strip("-* ").split("**")[0] for line in section.split("\n") if line.startswith("- **")]


async def incident(h: Harness, name: str) -> tuple[str, str, str]:
    """A fresh incident channel with a responder and a deploy bot in it: (channel, human, bot)."""
    alice = h.sim.add_user(f"alice-{name}")
    deploybot = h.sim.add_user(f"deploybot-{name}", is_bot=True)
    channel = h.sim.add_channel(name, members=[alice, deploybot])
    return channel, alice, deploybot


async def test_a_rollback_of_one_service_is_never_reported_as_the_failure_of_anothers_deploy(
    db_url: str,
) -> None:
    async with Harness(db_url) as h:
        channel, alice, bot = await incident(h, "incident-2101")
        await h.sim.post_message(channel, bot, "Deploying hotfix web v1.0.2 (DEP-1002)")
        await h.sim.post_message(channel, alice, "rolling back checkout to v5.0.9")
        await settle(h)
        markdown, summary = await draft(h, channel, alice)

        (line,) = rollback_lines(markdown)
        assert line.startswith("checkout: Failed version unknown"), line
        assert line.endswith("→ rolled back to v5.0.9")
        for text in (markdown, summary):
            assert "Failed version v1.0.2" not in text
            assert "reverting DEP-1002" not in text
        rows = change_rows(markdown)
        rollback = next(r for r in rows if r["kind"] == "rollback")
        deploy = next(r for r in rows if r["kind"] == "deploy")
        assert (rollback["service"], rollback["versions"]) == ("checkout", "? → v5.0.9")
        assert deploy["change"] == "DEP-1002" and "rolled back" not in deploy["state"]


async def test_two_rollbacks_of_two_services_are_both_shown_each_with_its_own_service(db_url: str) -> None:
    async with Harness(db_url, scribe_services="web,checkout") as h:
        channel, alice, bot = await incident(h, "incident-2102")
        await h.sim.post_message(channel, bot, "Deploying web v1.0.2 (DEP-1)")
        await h.sim.post_message(channel, bot, "Deploying checkout v5.1.0 (DEP-2)")
        await h.sim.post_message(channel, alice, "rolling back checkout to v5.0.9")
        await h.sim.post_message(channel, alice, "rolling back web to v1.0.1")
        await settle(h)
        markdown, summary = await draft(h, channel, alice)

        expected = [
            "checkout: Failed version v5.1.0 → rolled back to v5.0.9",
            "web: Failed version v1.0.2 → rolled back to v1.0.1",
        ]
        assert rollback_lines(markdown) == expected
        for line in expected:
            assert line in summary
        rollbacks = [(r["service"], r["versions"]) for r in change_rows(markdown) if r["kind"] == "rollback"]
        assert rollbacks == [("checkout", "v5.1.0 → v5.0.9"), ("web", "v1.0.2 → v1.0.1")]
        deploys = {r["change"]: r["state"] for r in change_rows(markdown) if r["kind"] == "deploy"}
        assert deploys == {
            "DEP-1": "in progress, rolled back (rollback web v1.0.1)",
            "DEP-2": "in progress, rolled back (rollback checkout v5.0.9)",
        }


async def test_services_named_in_any_position_reach_the_change_rows(db_url: str) -> None:
    lines = {
        "subject, capitalised": ("Payments deploy v3.3.0 started", "deploy", "Payments"),
        "upper case": ("PAYMENTS rollback to v3.2.0 started", "rollback", "PAYMENTS"),
        "of X": ("we're rolling back the deploy of payments to v3.2.0", "rollback", "payments"),
        "possessive": ("Rolling back payments' deploy to v3.2.0", "rollback", "payments"),
        "object": ("deploying v3.3.0 of the new build to payments now", "deploy", "payments"),
    }
    async with Harness(db_url, scribe_services="payments, ledger") as h:
        missed = []
        for n, (position, (text, kind, service)) in enumerate(lines.items()):
            channel, alice, _bot = await incident(h, f"incident-22{n:02d}")
            await h.sim.post_message(channel, alice, text)
            await settle(h)
            markdown, _summary = await draft(h, channel, alice)
            rows = [(r["kind"], r["service"]) for r in change_rows(markdown)]
            if rows != [(kind, service)]:
                missed.append(f"{position}: {text!r} → {rows}")
        assert not missed, missed


async def test_a_service_learned_from_an_integration_is_known_in_the_channel_and_stored(db_url: str) -> None:
    async with Harness(db_url) as h:
        channel, alice, _bot = await incident(h, "incident-2301")
        await h.sim.post_message(
            channel,
            None,
            ":white_check_mark: Application search has been successfully synced at 2026-12-04T14:20:05Z.\n"
            "Sync operation details are available at: https://argocd.example.com/applications/search .",
            attachments=[{"title": "search", "fields": [{"title": "Sync Status", "value": "Synced"}]}],
            username="Argo CD",
        )
        await settle(h)
        await h.sim.post_message(channel, alice, "SEARCH rollback to v2.0.0 started")
        await settle(h)
        markdown, _summary = await draft(h, channel, alice)

        rollback = next(r for r in change_rows(markdown) if r["kind"] == "rollback")
        assert (rollback["service"], rollback["versions"]) == ("SEARCH", "? → v2.0.0")
        async with h.db.session() as session:
            assert "search" in await service_store.names(session, h.sim.team_id)


async def test_host_counts_never_become_versions(db_url: str) -> None:
    async with Harness(db_url, scribe_services="checkout") as h:
        channel, alice, bot = await incident(h, "incident-2401")
        await h.sim.post_message(channel, bot, "Deploying checkout v5.1.0 (DEP-77): 1/4 hosts")
        await h.sim.post_message(channel, bot, "Deploy DEP-77 of checkout progressing: 3/4 hosts updated")
        await h.sim.post_message(channel, bot, "Deploy DEP-77 of checkout finished: 4/4 hosts healthy")
        await settle(h)
        markdown, summary = await draft(h, channel, alice)

        (row,) = change_rows(markdown)
        assert (row["change"], row["service"], row["versions"], row["state"]) == (
            "DEP-77",
            "checkout",
            "? → v5.1.0",
            "succeeded",
        )
        for ratio in ("1/4", "3/4", "4/4"):
            assert not any(ratio in r["versions"] for r in change_rows(markdown))
            assert f"→ {ratio}" not in summary


async def test_a_human_line_sharing_a_change_id_carries_the_deploy_bots_service(db_url: str) -> None:
    async with Harness(db_url) as h:
        channel, alice, bot = await incident(h, "incident-2501")
        await h.sim.post_message(channel, alice, "Starting deploy DEP-2001 now")
        await h.sim.post_message(channel, bot, "Deploying checkout v5.1.0 (DEP-2001)")
        await settle(h)
        markdown, _summary = await draft(h, channel, alice)

        timeline: list[Any] = table(markdown, TIMELINE_HEADER)
        human = next(r for r in timeline if "Starting deploy DEP-2001" in r[4])
        assert (human[1], human[2], human[3]) == ("deploy", "checkout", "DEP-2001")
        (change,) = change_rows(markdown)
        assert (change["change"], change["service"], change["versions"]) == (
            "DEP-2001",
            "checkout",
            "? → v5.1.0",
        )


async def test_a_rollback_is_never_paired_with_a_deploy_to_the_version_it_returns_to(db_url: str) -> None:
    async with Harness(db_url, scribe_services="api") as h:
        channel, alice, bot = await incident(h, "incident-2601")
        await h.sim.post_message(channel, bot, "Deploying api v1.3.0 (DEP-5)")
        await h.sim.post_message(channel, bot, "Pre-deployment state captured: production at v1.2.3")
        await h.sim.post_message(channel, alice, "rolling back api to v1.2.3")
        await settle(h)
        markdown, summary = await draft(h, channel, alice)

        (line,) = rollback_lines(markdown)
        assert line == "api: Failed version v1.3.0 → rolled back to v1.2.3"
        for text in (markdown, summary):
            assert "Failed version v1.2.3" not in text
