"""`scribe demo`: the sample incident INC-1042, replayed through the real request path.

Simulator and bot run on free local ports; every message is a signed HTTP request to the bot's
`/slack/events`; the draft is the file the bot uploaded to the simulated Slack.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import SERVICES_KEY, create_web_app
from bot.config import load_settings
from bot.services import Services
from bot.simulator.server import SlackSimulator
from storage import entries as entry_store
from storage import incidents as incident_store
from storage.db import Database


def load_sample() -> dict[str, Any]:
    return json.loads(resources.files("bot.demo_data").joinpath("inc1042.json").read_text(encoding="utf-8"))


def _ts(day: str, clock: str) -> str:
    moment = datetime.fromisoformat(f"{day}T{clock}+00:00")
    return f"{moment.timestamp():.6f}"


def _due(spec: str, today: date) -> str:
    if spec.startswith("+") and spec.endswith("d"):
        return (today + timedelta(days=int(spec[1:-1]))).isoformat()
    return spec


async def replay(sim: SlackSimulator, sample: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Post the sample's messages and follow-ups as Slack would deliver them; returns (channel, users)."""
    users = {
        name: sim.add_user(name, real_name=info["real_name"], tz=info["tz"])
        for name, info in sample["users"].items()
    }
    bots = {key: sim.add_user(info["name"], is_bot=True) for key, info in sample["bots"].items()}
    channel = sim.add_channel(sample["channel"], members=list(users.values()))
    day = sample["date"]
    for message in sample["messages"]:
        kwargs: dict[str, Any] = {"ts": _ts(day, message["at"]), "attachments": message.get("attachments")}
        if "thread" in message:
            kwargs["thread_ts"] = _ts(day, message["thread"])
        if "bot" in message:
            bot_user = bots[message["bot"]]
            kwargs.update(
                bot_id=sim.state.user(bot_user).bot_id, username=sample["bots"][message["bot"]]["name"]
            )
            result = await sim.post_message(channel, bot_user, message.get("text", ""), **kwargs)
        else:
            result = await sim.post_message(channel, users[message["user"]], message["text"], **kwargs)
        if result.status != 200:
            raise RuntimeError(f"the bot answered {result.status} to the message at {message['at']}")
    today = date.fromisoformat(day)  # due dates relative to the incident, not to whenever the demo runs
    for item in sample.get("followups", []):
        owner = users[item["owner"]]
        text = (
            f"followup add <@{owner}|{item['owner']}> {item['text']} "
            f"due:{_due(item['due'], today)} priority:{item['priority']}"
        )
        await sim.slash_command(channel, users["alice"], text)
    return channel, users


def _print_timeline(rows: list[Any], out: Any) -> None:
    print("Captured timeline (kind `other` — chatter, questions, logs — is kept but not shown):", file=out)
    for entry in rows:
        if entry.kind == "other":
            continue
        refs = ", ".join(f"{k}={v}" for k, v in entry.refs.items())
        text = entry.text.replace("\n", " ")
        text = text if len(text) <= 90 else text[:89] + "…"
        print(
            f"  {entry.occurred_at:%H:%M:%S}  {entry.kind:<15} {text}" + (f"  [{refs}]" if refs else ""),
            file=out,
        )


async def serve_against(
    sim: SlackSimulator, database_url: str, **settings: Any
) -> tuple[web.AppRunner, Services, int]:
    """The bot on a free local port, migrated database, talking to (and called by) `sim`."""
    db = Database(database_url)
    await db.migrate()
    await db.dispose()
    app = create_web_app(
        load_settings(
            _env_file=None,
            slack_bot_token=sim.bot_token,
            slack_signing_secret=sim.signing_secret,
            slack_api_url=sim.api_url,
            database_url=database_url,
            **settings,
        ),
        reminders=False,
        startup_backfill=False,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sim.bot_url = f"http://127.0.0.1:{port}/slack/events"
    return runner, app[SERVICES_KEY], port


async def run_demo(keep: Path | None = None, out: Any = None) -> int:
    import sys

    out = out or sys.stdout
    workdir = keep or Path(tempfile.mkdtemp(prefix="scribe-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "demo.db"
    if db_path.exists():
        db_path.unlink()
    database_url = f"sqlite+aiosqlite:///{db_path}"
    sample = load_sample()

    sim = SlackSimulator()
    await sim.start()
    runner, services, port = await serve_against(sim, database_url, scribe_canvas_debounce_seconds=0.5)
    try:
        print(f"Slack simulator on {sim.base_url}, bot on http://127.0.0.1:{port}", file=out)
        channel, users = await replay(sim, sample)
        await services.tasks.idle()
        async with services.db.session() as session:
            incident = await incident_store.get_by_channel(session, channel)
            assert incident is not None and incident.id is not None
            rows = await entry_store.timeline(session, incident.id)
        print(f"Replayed {len(sample['messages'])} messages into #{sample['channel']}.\n", file=out)
        _print_timeline(rows, out)
        if services.canvas is not None:
            await services.canvas.idle()  # the canvas exists before the draft, which then edits it

        result = await sim.slash_command(channel, users["carol"], "draft")
        await services.tasks.idle()
        files = sim.files_in(channel)
        if result.status != 200 or not files:
            print("The draft was not posted; see the log above.", file=out)
            return 1
        latest = files[-1]
        draft_path = workdir / latest.name
        draft_path.write_bytes(latest.content)
        print("\n" + latest.content.decode("utf-8"), file=out)
        print(f"Draft posted in #{sample['channel']} of the simulated Slack as {latest.name}", file=out)
        print(f"Draft saved to {draft_path}", file=out)
        if services.canvas is not None:
            services.canvas.notify(channel, now=True)  # the poll would find the draft within seconds
            await services.canvas.idle()
            canvas = sim.canvases.canvas_of(channel)
            if canvas is not None:
                canvas_path = workdir / "canvas.md"
                canvas_path.write_text(canvas.markdown + "\n", encoding="utf-8")
                edits = len(sim.calls_to("canvases.edit"))
                print(f"\nLive canvas “{canvas.title}” ({edits} section edits after creation):\n", file=out)
                print(canvas.markdown, file=out)
                print(f"\nCanvas saved to {canvas_path}", file=out)
        print(f"Demo database: {db_path}", file=out)
        return 0
    finally:
        await runner.cleanup()
        await sim.stop()
