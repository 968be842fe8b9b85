"""`/postmortem draft` end to end: signed slash commands to the bot's real `/slack/events`, the
summary and the uploaded Markdown as the simulated Slack received them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.demo import load_sample, replay
from bot.simulator.server import CommandResult, RecordedCall
from storage import entries as entry_store
from storage import incidents as incident_store
from storage.db import Database
from tests.e2e.harness import Harness
from tests.unit.inc1042_entries import assert_tables_intact, split_row

REPO = Path(__file__).resolve().parents[2]
ACK_LIMIT = 3.0  # Slack drops a slash command not answered within 3 s
SECTION_MAX, FIELD_MAX, MAX_BLOCKS = 3000, 2000, 50
TIMELINE_HEADER = "| ts | kind | service | ref | summary |"
# A broadcast Slack would act on: `<!channel>`, `<!here|here>`, `<!everyone>`, plain `@channel`/`@here`.
LIVE_BROADCAST = re.compile(r"<!(?:channel|here|everyone)\b|(?<!\w)@(?:channel|here|everyone)\b", re.I)

ACK_TIMES: list[float] = []  # round trip of every `/postmortem draft` command in this module


@pytest.fixture(scope="module", autouse=True)
def report_ack_times() -> Iterator[None]:
    yield
    if ACK_TIMES:
        print(
            f"\n/postmortem draft ack round trip over {len(ACK_TIMES)} commands: "
            f"median {statistics.median(ACK_TIMES) * 1000:.1f} ms, max {max(ACK_TIMES) * 1000:.1f} ms"
        )


# --- helpers ---------------------------------------------------------------------------------------


async def command(h: Harness, channel: str, user: str, text: str) -> CommandResult:
    """Run a slash command; it must be answered 200 within Slack's 3 seconds, whatever it does."""
    started = time.perf_counter()
    result = await h.sim.slash_command(channel, user, text)
    elapsed = time.perf_counter() - started
    assert result.status == 200, f"/postmortem {text} answered {result.status}: {result.body}"
    assert elapsed < ACK_LIMIT, f"/postmortem {text} took {elapsed:.2f} s to ack"
    if text.split(" ", 1)[0] == "draft":
        ACK_TIMES.append(elapsed)
    return result


async def settle(h: Harness) -> None:
    """The draft runs after the ack; wait for it and for the events its posts cause."""
    await h.idle()
    await h.sim.settle()
    await h.idle()


def ack_text(result: CommandResult) -> str:
    body = json.loads(result.body) if result.body.strip().startswith("{") else {"text": result.body}
    assert body.get("response_type", "ephemeral") == "ephemeral", body
    return str(body.get("text", ""))


def reply_texts(h: Harness, result: CommandResult) -> list[str]:
    """What the user saw for one command: the ack, then anything sent to its response_url."""
    return [str(r.get("text", "")) for r in h.sim.responses(result.response_url_token)]


def params_blocks(call: RecordedCall) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def posts_to(h: Harness, channel: str, since: int = 0) -> list[RecordedCall]:
    return [
        c
        for c in h.sim.calls[since:]
        if c.method == "chat.postMessage" and c.params.get("channel") == channel
    ]


def assert_summary_within_limits(call: RecordedCall) -> list[dict[str, Any]]:
    assert call.ok, f"chat.postMessage refused: {call.error}"
    assert str(call.params.get("text") or "").strip(), "the summary has no plain-text fallback"
    blocks = params_blocks(call)
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len((block.get("text") or {}).get("text", "")) <= SECTION_MAX
            assert all(len(f.get("text", "")) <= FIELD_MAX for f in block.get("fields") or [])
    return blocks


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def timeline_rows(markdown: str) -> list[list[str]]:
    """The cells of each row of the draft's timeline table (header and rule left out)."""
    lines = markdown.split("\n")
    start = lines.index(TIMELINE_HEADER)
    rows: list[list[str]] = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in split_row(line)])
    return rows


def section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    end = markdown.find("\n#", start + len(heading))
    return markdown[start : end if end != -1 else None]


async def draft_count(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(sa.text("SELECT count(*) FROM draft"))).scalar_one())


async def stored_kind(db: Database, channel: str, at: str) -> str | None:
    """The kind captured for the INC-1042 message posted at `at` (HH:MM:SS on the sample's day)."""
    day = load_sample()["date"]
    ts = f"{datetime.fromisoformat(f'{day}T{at}+00:00').timestamp():.6f}"
    async with db.session() as session:
        row = await entry_store.get(session, channel, ts)
    return row.kind if row is not None else None


async def replay_inc1042(h: Harness) -> tuple[str, dict[str, str]]:
    channel, users = await replay(h.sim, load_sample())
    await settle(h)
    return channel, users


async def run_draft(h: Harness, channel: str, user: str, text: str = "draft") -> tuple[CommandResult, int]:
    """`/postmortem draft`; returns the command result and the index of the first Web API call after it."""
    mark = len(h.sim.calls)
    result = await command(h, channel, user, text)
    await settle(h)
    return result, mark


def assert_one_draft_posted(
    h: Harness, channel: str, mark: int, files_before: int
) -> tuple[list[dict[str, Any]], bytes]:
    """Exactly one summary message and one uploaded Markdown file, through Slack's external upload."""
    posts = posts_to(h, channel, mark)
    assert len(posts) == 1, [p.params.get("text") for p in posts]
    blocks = assert_summary_within_limits(posts[0])
    methods = [c.method for c in h.sim.calls[mark:] if c.method.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"], methods
    assert all(c.ok for c in h.sim.calls[mark:] if c.method.startswith("files."))
    announced = int(h.sim.calls_to("files.getUploadURLExternal")[-1].params["length"])
    complete = h.sim.calls_to("files.completeUploadExternal")[-1]
    assert channel in (complete.params.get("channel_id"), complete.params.get("channels"))
    files = h.sim.files_in(channel)
    assert len(files) == files_before + 1
    uploaded = files[-1]
    assert uploaded.name.endswith(".md")
    assert uploaded.content is not None
    assert len(uploaded.content) == announced, "the upload is not the whole file"
    return blocks, uploaded.content


# --- 1 + 2: the INC-1042 golden draft, posted as one summary and one file ------------------------------


async def test_inc1042_draft_is_posted_as_summary_and_markdown_file(db_url: str) -> None:
    async with Harness(db_url) as h:
        channel, users = await replay_inc1042(h)
        result, mark = await run_draft(h, channel, users["carol"])

        assert "Drafting" in ack_text(result)
        assert any("Drafting" in e.get("text", "") for e in h.sim.ephemerals(channel, users["carol"]))
        blocks, content = assert_one_draft_posted(h, channel, mark, files_before=0)
        assert h.sim.files_in(channel)[-1].name == "INC-1042-postmortem-v1.md"
        assert "Failed version v2.14.0 → rolled back to v2.13.2" in blocks_text(blocks)
        # Nothing went wrong, so the user got no second ephemeral.
        assert reply_texts(h, result) == [ack_text(result)]
        assert await draft_count(h.db) == 1

        draft = content.decode("utf-8")
        assert_tables_intact(draft)
        # The draft's moment is the incident's last activity (10:31), never claimed as when it was made.
        assert "as of its last captured activity (2026-02-10 10:31 UTC)" in draft
        assert "generated" not in draft.split("\n## ", 1)[0].lower()
        rows = timeline_rows(draft)
        stamps = [r[0] for r in rows]
        assert stamps == sorted(stamps)
        # Every acceptance point is checked, and all that fail are reported together, with the kind
        # the capture stored for the message behind it.
        problems: list[str] = []

        def rows_of(kind: str, *needles: str) -> list[list[str]]:
            return [r for r in rows if r[1] == kind and all(n in " ".join(r) for n in needles)]

        async def expect_row(at: str, kind: str, *needles: str) -> None:
            if not rows_of(kind, *needles):
                stored = await stored_kind(h.db, channel, at)
                problems.append(f"no `{kind}` row with {needles} (message at {at} stored as {stored})")

        await expect_row("10:00:01", "deploy", "DEP-7781", "api-gateway", "v2.14.0")
        await expect_row("10:04:00", "ack", "Acknowledged")
        await expect_row("10:03:00", "alert_firing", "HighCPU")
        await expect_row("10:04:01", "alert_firing", "High5xxRate")
        await expect_row("10:29:00", "alert_resolved", "HighCPU")
        await expect_row("10:29:01", "alert_resolved", "High5xxRate")
        await expect_row("10:27:01", "rollback", "RB-7781", "v2.13.2")
        # Chatter (kind `other`) is stored but is not a timeline row.
        for at, chatter in (
            ("09:58:00", "can we deploy at 10am?"),
            ("09:59:00", "Reminder: prod deploys need 2 explicit approvals"),
            ("10:00:02", "Proceed with caution"),
            ("10:02:00", "[LOG] api-gateway E-101"),
            ("10:06:00", "Should we roll back?"),
        ):
            if any(chatter in " ".join(r) for r in rows):
                stored = await stored_kind(h.db, channel, at)
                problems.append(f"chatter {chatter!r} is a timeline row (stored as {stored})")

        for needle in (
            "Failed version v2.14.0 → rolled back to v2.13.2",
            "| **Time to acknowledge** | 1 min |",
        ):
            if needle not in draft:
                problems.append(f"draft lacks {needle!r}")
        flags = section(draft, "### Policy flags")
        if "DEP-7781: approvals 1/2" not in flags:
            problems.append(f"no approvals 1/2 policy flag for DEP-7781: {flags!r}")
        if not re.search(r"DEP-7781: deployed .*outside the change window", flags):
            problems.append(f"no change-window policy flag for DEP-7781: {flags!r}")

        claims = section(draft, "### Claims")
        claim_rows = [split_row(line) for line in claims.split("\n") if line.startswith("| CLM-")]
        if not claim_rows:
            problems.append("no claims in the draft")
        for cells in claim_rows:
            if not re.search(r"\(\d\d:\d\d:\d\dZ\)", cells[2]):
                problems.append(f"claim without evidence refs: {cells}")
        if not any("DEP-7781 (10:0" in cells[2] for cells in claim_rows):
            problems.append("no claim cites DEP-7781")
        if not any("RB-7781 (10:27:01Z)" in cells[2] for cells in claim_rows):
            problems.append("no claim cites RB-7781")
        assert not problems, "INC-1042 draft:\n- " + "\n- ".join(problems)


async def test_second_draft_is_v2_and_says_what_changed(db_url: str) -> None:
    async with Harness(db_url) as h:
        channel, users = await replay_inc1042(h)
        await run_draft(h, channel, users["carol"])
        noted = await command(h, channel, users["alice"], "note Customer comms sent by support")
        assert "Added to the timeline" in ack_text(noted)

        result, mark = await run_draft(h, channel, users["alice"])
        assert "Drafting" in ack_text(result)
        blocks, content = assert_one_draft_posted(h, channel, mark, files_before=1)
        assert h.sim.files_in(channel)[-1].name == "INC-1042-postmortem-v2.md"
        assert "Customer comms sent by support" in content.decode("utf-8")
        assert await draft_count(h.db) == 2

        header = next(b for b in blocks if b["type"] == "header")
        assert "v2" in header["text"]["text"]
        context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
        changed = [t for t in context if t.startswith("since v1")]
        assert len(changed) == 1, context
        assert "\n" not in changed[0]
        assert "+1 timeline entry" in changed[0]
        v1_context = [
            e["text"]
            for b in params_blocks(posts_to(h, channel)[-2])
            if b["type"] == "context"
            for e in b["elements"]
        ]
        assert not any("since v" in t for t in v1_context)


# --- 3: user text that looks like template code, table syntax or a broadcast -------------------------

INJECTIONS = {
    "jinja_expr": "{{ 7*7 }} is what the template engine would evaluate",
    "jinja_stmt": "{% for x in y %}{% endfor %} must stay literal",
    "pipes": "a | b\nsecond line | with | pipes\n| starts with a pipe |",
    "channel": "<!channel> api-gateway is down for everyone",
    "here": "<!here|here> please look at the dashboards",
    "everyone": "<!everyone> status page updated",
    "plain": "@channel @here heads up, typed as plain text",
}
LONG_TEXT = "long-message-start " + " ".join(f"w{i:04d}" for i in range(997)) + " long-message-end"


async def test_user_text_is_rendered_literally_and_never_broadcasts(db_url: str) -> None:
    assert len(LONG_TEXT) >= 5000
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        bob = h.sim.add_user("bob")
        channel = h.sim.add_channel("incident-2077", members=[alice, bob])
        opened = await h.sim.post_message(channel, alice, "ack, looking at api-gateway")
        assert opened.status == 200
        texts = {**INJECTIONS, "long": LONG_TEXT}
        posted: dict[str, str] = {}
        for key, text in texts.items():
            message = await h.sim.post_message(channel, bob, text)
            assert message.status == 200
            assert await h.sim.add_reaction(channel, message.ts, alice, "pushpin") == 200
            posted[key] = message.ts
        noted = await command(h, channel, alice, "note <!channel> {{ 7*7 }} via the note command")
        assert "Added to the timeline" in ack_text(noted)
        followup = await command(
            h, channel, alice, "followup add @bob Page <!channel> less and @here {{ 7*7 }} due:2030-01-15"
        )
        assert "Added follow-up" in ack_text(followup), ack_text(followup)
        await settle(h)
        async with h.db.session() as session:
            for key, ts in posted.items():
                row = await entry_store.get(session, channel, ts)
                assert row is not None and row.kind != "other", f"{key} was not captured: {row}"

        result, mark = await run_draft(h, channel, alice)
        assert "Drafting" in ack_text(result)
        blocks, content = assert_one_draft_posted(h, channel, mark, files_before=0)
        draft = content.decode("utf-8")
        # The follow-up's text reached the channel summary (so the check below is not vacuous).
        assert "less and" in blocks_text(blocks) and "{{ 7*7 }}" in blocks_text(blocks)

        # Template syntax in messages is data, printed as written.
        assert "{{ 7*7 }} is what the template engine would evaluate" in draft
        assert "49 is what the template engine would evaluate" not in draft
        assert "{% for x in y %}{% endfor %} must stay literal" in draft
        assert "{{ 7*7 }} via the note command" in draft
        # Pipes and line breaks stay inside their cell.
        assert_tables_intact(draft)
        rows = timeline_rows(draft)
        assert all(len(r) == 5 for r in rows), [r for r in rows if len(r) != 5]
        assert r"a \| b<br>second line \| with \| pipes<br>\| starts with a pipe \|" in draft
        # A 5,000-character message is kept whole.
        assert LONG_TEXT in draft
        # Broadcasts still read the same, but are not live (`<` is escaped: no tag opens in the draft).
        assert "&lt;!channel> api-gateway is down for everyone" in draft
        assert "@\u200dchannel @\u200dhere heads up" in draft

        assert_nothing_posted_broadcasts(h)


def assert_nothing_posted_broadcasts(h: Harness) -> None:
    """Every message, ephemeral, response_url body and file the bot gave Slack is free of broadcasts."""
    sent: list[tuple[str, str]] = []
    for call in h.sim.calls:
        if call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            sent.append((call.method, str(call.params.get("text") or "")))
            sent.append((call.method + " blocks", blocks_text(params_blocks(call))))
    sent.extend(("response", json.dumps(r, ensure_ascii=False)) for r in h.sim.responses())
    sent.extend(("file " + f.name, (f.content or b"").decode("utf-8")) for f in h.sim.state.files.values())
    assert any(where.startswith("file ") for where, _ in sent)
    for where, text in sent:
        found = LIVE_BROADCAST.search(text)
        assert found is None, f"{where} carries a live broadcast {found.group(0)!r}: {text[:300]}"


# --- 4: scale ------------------------------------------------------------------------------------------

SCALE = 10_000
KIND_CYCLE = (
    "other", "alert_firing", "ack", "other", "deploy", "decision", "alert_resolved", "other", "note",
    "rollback", "other", "mitigated",
)  # fmt: skip


def scale_values(incident_id: int, channel: str, base: datetime, i: int) -> dict[str, Any]:
    kind = "note" if i == SCALE else KIND_CYCLE[i % len(KIND_CYCLE)]
    service = f"svc-{i % 7}"
    refs: dict[str, str] = {}
    text = f"entry {i:05d}: chatter about {service}"
    author, author_kind, source = f"user{i % 25}", "human", None
    if kind in ("alert_firing", "alert_resolved"):
        alert = f"Alert{i % 40}"
        refs = {"alert": alert, "service": service}
        state = "FIRING:1" if kind == "alert_firing" else "RESOLVED"
        text = f"[{state}] {alert} ({service} critical) entry {i:05d}"
        author, author_kind, source = "Alertmanager", "bot", "alertmanager"
    elif kind == "deploy":
        refs = {"change_id": f"DEP-{i}", "service": service, "version": f"v1.{i}.0"}
        text = f"Deploy {service} v1.{i}.0 to prod (DEP-{i}, approvals 1/2) entry {i:05d}"
    elif kind == "rollback":
        refs = {"change_id": f"RB-{i}", "service": service, "version": f"v1.{i - 5}.0"}
        text = f"Rolling back {service} to v1.{i - 5}.0 (RB-{i}) entry {i:05d}"
    elif kind != "other":
        text = f"{kind} entry {i:05d} about {service}"
    if i == SCALE:
        text = f"entry {i:05d}: the last entry of the scale incident"
    occurred = base + timedelta(seconds=i)
    return {
        "incident_id": incident_id,
        "channel_id": channel,
        "ts": f"{occurred.timestamp():.6f}",
        "thread_ts": None,
        "occurred_at": occurred,
        "kind": kind,
        "text": text,
        "raw": {},
        "refs": refs,
        "author_id": f"U{i % 25:05d}",
        "author_name": author,
        "author_kind": author_kind,
        "source": source,
        "capture": "auto",
        "hidden": False,
        "kind_locked": False,
        "created_at": occurred,
    }


async def test_ten_thousand_entries_draft_within_slack_limits(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        channel = h.sim.add_channel("incident-9999", members=[alice])
        base = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        async with h.db.transaction() as session:
            incident_id = await incident_store.open_incident(session, channel, "incident-9999", base)
            for i in range(1, SCALE + 1):
                assert await entry_store.insert(session, scale_values(incident_id, channel, base, i))
        events = sum(1 for i in range(1, SCALE + 1) if scale_values(0, channel, base, i)["kind"] != "other")

        result, mark = await run_draft(h, channel, alice)
        assert "Drafting" in ack_text(result)
        assert reply_texts(h, result) == [ack_text(result)], "drafting reported a problem"
        blocks, content = assert_one_draft_posted(h, channel, mark, files_before=0)
        draft = content.decode("utf-8")
        assert len(timeline_rows(draft)) == events
        assert f"{events} events from {SCALE} captured messages" in draft
        assert "entry 10000: the last entry of the scale incident" in draft
        assert "entry 00012:" not in draft  # kind `other`: kept in storage, not in the draft
        assert_tables_intact(draft)
        # Hundreds of changes and policy flags: the summary lists some and points to the file.
        assert "more in the draft" in blocks_text(blocks)
        assert ":warning: Policy flags" in blocks_text(blocks)
        assert len(str(posts_to(h, channel)[-1].params["text"])) <= 40_000


# --- 5: `scribe draft` writes the file Slack received ---------------------------------------------------


def scribe_draft(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "DATABASE_URL": db_url,
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "draft", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_scribe_draft_writes_what_slack_received(db_url: str, tmp_path: Path) -> None:
    async with Harness(db_url) as h:
        channel, users = await replay_inc1042(h)
        _, mark = await run_draft(h, channel, users["carol"])
        _, uploaded = assert_one_draft_posted(h, channel, mark, files_before=0)

    for ref in (channel, "incident-1042", "#incident-1042"):
        out = tmp_path / f"draft-{ref.lstrip('#')}.md"
        done = scribe_draft(db_url, tmp_path, "--channel", ref, "--out", str(out))
        assert done.returncode == 0, done.stderr[-2000:]
        assert out.read_bytes() == uploaded, f"scribe draft --channel {ref} differs from the Slack upload"
    to_stdout = scribe_draft(db_url, tmp_path, "--channel", channel)
    assert to_stdout.returncode == 0, to_stdout.stderr[-2000:]
    assert to_stdout.stdout.encode("utf-8") == uploaded


# --- 6 + 7: templates, usage and the wrong channel ------------------------------------------------------

BROKEN_TEMPLATE = """# {{ h.incident_id }}

Everything up to here is fine.
{% for row in timeline %}
- {{ row.text | md_inline }
{% endfor %}
"""
BROKEN_LINE = 5
# Templates that parse but fail while rendering: an undefined name, and a sandbox escape attempt.
FAILING_TEMPLATES = {
    "undefined": ("# {{ h.incident_id }}\n{{ no_such_variable }}\n", 2),
    "escape": ("# {{ h.incident_id }}\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 3),
}


def nothing_posted(h: Harness, channel: str, mark: int) -> None:
    assert posts_to(h, channel, mark) == []
    assert not [c for c in h.sim.calls[mark:] if c.method.startswith("files.")]
    assert h.sim.files_in(channel) == []


async def test_broken_custom_template_gets_an_ephemeral_error_naming_the_line(
    db_url: str, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "broken.md.j2").write_text(BROKEN_TEMPLATE, encoding="utf-8")
    for name, (source, _) in FAILING_TEMPLATES.items():
        (templates / f"{name}.md.j2").write_text(source, encoding="utf-8")
    async with Harness(db_url, scribe_templates_dir=templates) as h:
        alice = h.sim.add_user("alice")
        channel = h.sim.add_channel("incident-3003", members=[alice])
        assert (await h.sim.post_message(channel, alice, "ack, on it")).status == 200
        await settle(h)

        mark = len(h.sim.calls)
        result, _ = await run_draft(h, channel, alice, "draft broken")
        replies = reply_texts(h, result)
        problem = [t for t in replies if f"template 'broken' line {BROKEN_LINE}:" in t]
        assert problem, f"no ephemeral naming the template and line {BROKEN_LINE}: {replies}"
        assert all(
            r.get("response_type", "ephemeral") == "ephemeral"
            for r in h.sim.responses(result.response_url_token)
        )
        nothing_posted(h, channel, mark)
        assert await draft_count(h.db) == 0
        for name, (_, line) in FAILING_TEMPLATES.items():
            failed, _ = await run_draft(h, channel, alice, f"draft {name}")
            replies = reply_texts(h, failed)
            assert any(f"template '{name}' line {line}" in t for t in replies), replies
        nothing_posted(h, channel, mark)
        assert await draft_count(h.db) == 0

        helped = await command(h, channel, alice, "help")
        listed = ack_text(helped)
        for name in ("postmortem", "rollback", "brief", "broken"):
            assert f"`{name}`" in listed, listed

        unknown = await command(h, channel, alice, "draft nosuch")
        text = ack_text(unknown)
        assert "nosuch" in text and "Usage" in text and "`postmortem`" in text, text
        bogus = await command(h, channel, alice, "bogus")
        text = ack_text(bogus)
        assert "bogus" in text and "Usage" in text, text
        await settle(h)
        nothing_posted(h, channel, mark)
        assert await draft_count(h.db) == 0


async def test_draft_outside_an_incident_channel_is_explained_and_posts_nothing(db_url: str) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        channel = h.sim.add_channel("random", members=[alice])
        assert (await h.sim.post_message(channel, alice, "deploying v2 to prod")).status == 200
        mark = len(h.sim.calls)
        result, _ = await run_draft(h, channel, alice)
        text = ack_text(result)
        assert "not an incident channel" in text, text
        assert reply_texts(h, result) == [text]
        nothing_posted(h, channel, mark)
        assert await draft_count(h.db) == 0
        async with h.db.session() as session:
            assert await incident_store.get_by_channel(session, channel) is None


async def test_slack_refusing_the_upload_or_the_post_is_said_as_it_is(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The summary posted and the file refused is not "nothing was posted"; a refused post is. Both
    are one warning line, not a traceback, and the next draft carries the file."""
    async with Harness(db_url, scribe_mark_reaction="") as h:
        alice = h.sim.add_user("alice")
        channel = h.sim.add_channel("incident-refused", members=[alice])
        assert (await h.sim.post_message(channel, alice, "deploying web v9 to prod")).status == 200
        await h.idle()

        h.sim.fail_method("files.completeUploadExternal", "internal_error", count=1)
        result, mark = await run_draft(h, channel, alice)
        [said] = reply_texts(h, result)[-1:]
        assert "summary is posted" in said and "internal_error" in said and "Nothing" not in said, said
        assert len(posts_to(h, channel, mark)) == 1 and h.sim.files_in(channel) == []

        h.sim.fail_method("chat.postMessage", "channel_not_found", count=1)
        result, mark = await run_draft(h, channel, alice)
        [said] = reply_texts(h, result)[-1:]
        assert "Nothing was posted" in said and "channel_not_found" in said, said
        assert not [c for c in posts_to(h, channel, mark) if c.ok]
        assert not [c for c in h.sim.calls[mark:] if c.method.startswith("files.")]

        result, mark = await run_draft(h, channel, alice)
        assert len(posts_to(h, channel, mark)) == 1 and len(h.sim.files_in(channel)) == 1
        async with h.db.session() as session:
            rows = (await session.execute(sa.text("SELECT version, message_ts, file_id FROM draft"))).all()
        # v1's summary is recorded as posted, its file not; v2 was never posted; v3 has both.
        assert [(v, ts is not None, f is not None) for v, ts, f in sorted(rows)] == [
            (1, True, False),
            (2, False, False),
            (3, True, True),
        ]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
