"""The `scribe` commands of CONTRACT.md, run as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from storage.db import Database
from tests.e2e.harness import Harness

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCRIBE_", "DATABASE_URL"))}
    base["PYTHONPATH"] = str(ROOT)
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=base,
        cwd=cwd or ROOT,
        timeout=120,
    )


def test_classify_reads_json_lines_and_plain_text_in_order() -> None:
    lines = [
        json.dumps({"text": "[FIRING:1] HighCPU (api-gateway critical)", "bot": True}),
        "rolling back api-gateway to v2.13.2",
        json.dumps({"text": "should we roll back?", "bot": False}),
        json.dumps({"text": "Deploying checkout v1.4.0 to prod", "bot": False}),
    ]
    result = run("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["kind"] for o in out] == ["alert_firing", "rollback", "other", "deploy"]
    assert out[1]["refs"]["version"] == "v2.13.2"
    assert set(out[0]) == {"kind", "refs"}


def test_classify_applies_the_rules_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - match: 'yeet (?P<service>\\w+)'\n    kind: deploy\n", encoding="utf-8")
    result = run("classify", env={"SCRIBE_RULES_FILE": str(rules)}, stdin="yeet payments\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"kind": "deploy", "refs": {"service": "payments"}}


def test_malformed_rules_file_stops_start_up_with_line_and_reason(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "rules:\n  - match: 'ok'\n    kind: deploy\n  - match: '(unclosed'\n    kind: deploy\n",
        encoding="utf-8",
    )
    env = {
        "SLACK_BOT_TOKEN": "xoxb-x",
        "SLACK_SIGNING_SECRET": "s",
        "SCRIBE_RULES_FILE": str(rules),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db",
    }
    for command in (["classify"], ["serve", "--migrate"]):
        result = run(*command, env=env, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        assert f"{rules}:4:" in result.stderr
        assert "Traceback" not in result.stderr


def test_migrate_creates_then_reports_current(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/m.db"}
    first, second = run("migrate", env=env), run("migrate", env=env)
    assert first.returncode == 0 and "-> " in first.stdout
    assert second.returncode == 0 and "already at" in second.stdout


async def test_reclassify_after_a_rule_change_keeps_hand_made_entries(db_url: str, tmp_path: Path) -> None:
    async with Harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-77", members=[alice])
        shipped = await h.sim.post_message(chan, alice, "yeet payments to the cluster")
        pinned = await h.sim.post_message(chan, alice, "yeet billing, see dashboard")
        await h.sim.add_reaction(chan, pinned.ts, alice, "pushpin")
        await h.idle()
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - match: 'yeet (?P<service>\\w+)'\n    kind: deploy\n", encoding="utf-8")
    result = run("reclassify", env={"DATABASE_URL": db_url, "SCRIBE_RULES_FILE": str(rules)})
    assert result.returncode == 0, result.stderr
    assert "reclassified 1 of 1" in result.stdout
    db = Database(db_url)
    try:
        async with db.session() as session:
            rows = dict(
                [tuple(r) for r in await session.execute(sa.text("SELECT ts, kind FROM timeline_entry"))]
            )
    finally:
        await db.dispose()
    assert rows == {shipped.ts: "deploy", pinned.ts: "note"}


def test_socket_without_app_token_exits_2_naming_it(tmp_path: Path) -> None:
    result = run("socket", env={"SLACK_BOT_TOKEN": "xoxb-x"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_database_down_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://scribe:s3cret-pw@127.0.0.1:1/nowhere"
    for command in (["migrate"], ["draft", "--channel", "incident-1"], ["reclassify"]):
        result = run(*command, env={"DATABASE_URL": url}, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        assert "DATABASE_URL" in result.stderr and "s3cret-pw" not in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_paths_and_tokens_name_their_variable(tmp_path: Path) -> None:
    cases = {
        "SCRIBE_TEMPLATES_DIR": str(tmp_path / "missing"),
        "SCRIBE_RULES_FILE": str(tmp_path / "missing.yml"),
        "SCRIBE_REMINDER_INTERVAL_SECONDS": "inf",
        "SLACK_APP_TOKEN": "xoxb-not-an-app-token",
    }
    for variable, value in cases.items():
        result = run("classify", env={variable: value}, cwd=tmp_path)
        assert result.returncode == 2, variable
        assert variable in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert run("classify", env={"SCRIBE_RULES_FILE": ""}, stdin="ack\n", cwd=tmp_path).returncode == 0


def test_draft_out_to_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = run("draft", "--channel", "incident-1", "--out", str(tmp_path / "no" / "x.md"),
                 env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"}, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
