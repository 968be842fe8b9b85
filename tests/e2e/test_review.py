"""`/postmortem review` end to end: the ephemeral list of what the bot is least sure about, a
correction made there through the real interactivity endpoint (signed block_actions payloads from
the simulator), what the next draft says, and that `scribe reclassify` keeps it; SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storage import entries as entry_store
from tests.e2e.harness import Harness
from tests.e2e.test_cli import run as run_cli
from tests.e2e.test_state import draft, header, record, run, seed_weak, settle

KIND, TAKE_OUT = "review_set_kind", "review_take_out"


def latest_ephemeral(h: Harness, channel: str, user: str) -> dict[str, Any]:
    shown = h.sim.ephemerals(channel, user)
    assert shown, f"nothing was shown to {user}"
    return shown[-1]


def entry_ids(blocks: list[dict[str, Any]]) -> list[int]:
    """The entries a review lists, in order (one section per entry, block_id `review-<id>`)."""
    ids = (str(b.get("block_id", "")).removeprefix("review-") for b in blocks if b["type"] == "section")
    return [int(i) for i in ids if i.isdigit()]


async def entry(h: Harness, entry_id: int) -> Any:
    async with h.db.session() as session:
        return await entry_store.by_id(session, entry_id)


async def test_review_lists_the_weak_entry_first_and_a_correction_changes_the_next_draft(
    db_url: str, tmp_path: Path
) -> None:
    async with Harness(db_url) as h:
        alice, bob, carol = (h.sim.add_user(n) for n in ("alice", "bob", "carol"))
        chan = h.sim.add_channel("inc-601-pay", members=[alice, bob, carol])
        await h.sim.post_message(chan, alice, "IC here")
        await h.sim.post_message(chan, bob, "deploying api 1.4 to prod")
        await h.sim.post_message(chan, bob, "[FIRING:1] HighErrorRate payments", subtype="bot_message")
        weak = await seed_weak(h, chan, carol, "yeet payments, error rate back to normal")
        md = await draft(h, chan, alice)
        # Listed, marked, and not used: the status stays open.
        assert "mitigated (unconfirmed)" in md and header(md, "Status").startswith("open ")

        await run(h, chan, bob, "review")
        shown = latest_ephemeral(h, chan, bob)
        blocks = shown["blocks"]
        ids = entry_ids(blocks)
        texts = json.dumps(blocks)
        assert "yeet payments, error rate back to normal" in texts and "_unconfirmed_" in texts
        assert "HighErrorRate" not in texts  # an integration's entry is not in doubt
        incident_id = (await record(h, chan)).id or 0
        async with h.db.session() as session:
            stored = {e.text: e.id for e in await entry_store.timeline(session, incident_id)}
        # Weak first, then what people wrote, newest first.
        assert ids == [stored[weak["text"]], stored["deploying api 1.4 to prod"], stored["IC here"]]

        weak_id, deploy_id = ids[0], ids[1]
        status = await h.sim.choose_option(
            bob, chan, shown["ts"], f"review-actions-{weak_id}", KIND, f"{weak_id}:resolved"
        )
        assert status == 200
        status = await h.sim.click_button(
            bob, chan, shown["ts"], TAKE_OUT, str(deploy_id), block_id=f"review-actions-{deploy_id}"
        )
        assert status == 200
        await settle(h)
        replies = [str(r.get("text")) for r in h.sim.responses() if r["via"] == "response_url"]
        assert any(r.startswith("Set to *resolved*") for r in replies), replies
        assert any(r.startswith("Taken out of the timeline") for r in replies), replies

        corrected = await entry(h, weak_id)
        assert (corrected.kind, corrected.kind_locked) == ("resolved", True)
        assert corrected.confidence == "confirmed"
        assert (await entry(h, deploy_id)).hidden
        assert (await record(h, chan)).status == "resolved"  # the record follows the correction

        md = await draft(h, chan, alice)
        assert "(unconfirmed)" not in md and "deploying api 1.4" not in md
        assert "| resolved |" in md and "yeet payments, error rate back to normal" in md
        assert header(md, "Status").startswith("resolved (inferred from the ")

        # A team rule would now call the corrected line a deploy: the person's kind and the
        # taken-out entry both survive reclassification.
        rules = tmp_path / "rules.yml"
        rules.write_text("rules:\n  - match: 'yeet (?P<service>\\w+)'\n    kind: deploy\n", encoding="utf-8")
        result = run_cli("reclassify", env={"DATABASE_URL": db_url, "SCRIBE_RULES_FILE": str(rules)})
        assert result.returncode == 0, result.stderr
        after = await entry(h, weak_id)
        assert (after.kind, after.kind_locked) == ("resolved", True)
        assert (await entry(h, deploy_id)).hidden
        again = await draft(h, chan, alice)
        assert "deploying api 1.4" not in again and header(again, "Status") == header(md, "Status")
        assert (await record(h, chan)).status == "resolved"

        await run(h, chan, bob, "review")
        remaining = entry_ids(latest_ephemeral(h, chan, bob)["blocks"])
        assert weak_id not in remaining and deploy_id not in remaining


async def test_review_of_a_private_channel_is_for_its_members_only(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice, mallory = h.sim.add_user("alice"), h.sim.add_user("mallory")
        chan = h.sim.add_channel("inc-602-secret", members=[alice], is_private=True)
        await h.sim.post_message(chan, alice, "rolling back vault to 1.2.3, token leak suspected")
        reply = await run(h, chan, mallory, "review")
        assert "Only members" in reply and "vault" not in reply

        await run(h, chan, alice, "review")
        shown = latest_ephemeral(h, chan, alice)
        (entry_id,) = entry_ids(shown["blocks"])
        # Someone outside the channel replays the button: refused, and the text is not shown to them.
        status = await h.sim.click_button(
            mallory, chan, shown["ts"], TAKE_OUT, str(entry_id), block_id=f"review-actions-{entry_id}"
        )
        assert status == 200
        await settle(h)
        told = [str(r.get("text")) for r in h.sim.responses() if r["via"] == "response_url"]
        assert told and all("vault" not in t for t in told)
        assert not (await entry(h, entry_id)).hidden


async def test_review_with_nothing_in_doubt(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("inc-603-quiet", members=[alice])
        await h.sim.post_message(chan, alice, "thanks all")  # chatter: `other`, not in doubt
        assert (await run(h, chan, alice, "review")).startswith("Nothing to review")
        assert "*Usage*" in await run(h, chan, alice, "review everything")
