"""GET /metrics: Prometheus text format, counters that move with what the bot does, one registry per
app, and nothing secret or said in a channel."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import BotInstance, Harness


async def scrape(bot: BotInstance) -> tuple[str, str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{bot.url}/metrics") as res:
            assert res.status == 200
            text = await res.text()
            content_type = res.headers["Content-Type"]
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return text, content_type, samples


async def test_metrics_move_with_captures_and_say_nothing_secret(db_url: str) -> None:
    async with Harness(db_url, scribe_mark_reaction="") as h:
        _text, content_type, before = await scrape(h.bot)
        assert content_type.startswith("text/plain")
        assert before.get(("scribe_captured_entries_total", (("kind", "rollback"),)), 0.0) == 0.0

        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-metrics", members=[alice])
        for text in ("rolling back billing to v4.2.0", "Rolled back billing to v4.2.0", "deploying web v9"):
            assert (await h.sim.post_message(chan, alice, f"{text} hunter2-in-chat")).status == 200
        await h.idle()

        text, _ct, after = await scrape(h.bot)
        assert after[("scribe_captured_entries_total", (("kind", "rollback"),))] == 2.0
        assert after[("scribe_captured_entries_total", (("kind", "deploy"),))] == 1.0
        assert after[("scribe_slack_requests_total", (("outcome", "ok"),))] >= 3.0
        assert after[("scribe_slack_ack_seconds_count", ())] >= 3.0
        assert (
            after[("scribe_slack_api_calls_total", (("method", "conversations.info"), ("outcome", "ok")))]
            == 1
        )
        for name in ("scribe_reminder_sweeps_total", "scribe_canvas_updates_total"):
            assert f"# TYPE {name} counter" in text
        for secret in ("hunter2", "billing", h.sim.bot_token, h.sim.signing_secret, chan, alice):
            assert secret not in text


async def test_each_app_counts_only_its_own(db_url: str) -> None:
    async with Harness(db_url, scribe_mark_reaction="") as h:
        second = await h.add_replica()
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-two", members=[alice])
        assert (await h.sim.post_message(chan, alice, "deploying api v2 to prod")).status == 200
        await h.idle()
        _t, _c, first_samples = await scrape(h.bot)
        _t, _c, second_samples = await scrape(second)
        key = ("scribe_captured_entries_total", (("kind", "deploy"),))
        assert first_samples[key] == 1.0
        assert second_samples.get(key, 0.0) == 0.0


async def test_canvas_updates_are_counted(db_url: str) -> None:
    async with Harness(db_url, scribe_mark_reaction="", scribe_canvas_debounce_seconds=0.05) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-canvas-metrics", members=[alice])
        await h.sim.post_message(chan, alice, "deploying web v9 to prod")
        await h.idle()
        await h.bot.services.canvas.idle()  # type: ignore[union-attr]
        _text, _ct, samples = await scrape(h.bot)
        assert samples[("scribe_canvas_updates_total", (("outcome", "created"),))] == 1.0
        assert samples.get(("scribe_canvas_updates_total", (("outcome", "failures"),)), 0.0) == 0.0


async def test_every_web_api_call_is_counted_under_its_own_method(db_url: str) -> None:
    """Including the calls inside one slack-sdk helper (files_upload_v2: getUploadURLExternal, then
    completeUploadExternal), and a refusal under the method Slack refused."""
    async with Harness(db_url, scribe_mark_reaction="") as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-counted", members=[alice])
        await h.sim.post_message(chan, alice, "deploying web v9 to prod")
        h.sim.fail_method("files.getUploadURLExternal", "internal_error", count=1)
        for _ in range(2):  # the first draft's upload is refused, the second's goes through
            assert (await h.sim.slash_command(chan, alice, "draft")).status == 200
            await h.idle()
            await h.sim.settle()
            await h.idle()
        _text, _ct, samples = await scrape(h.bot)

    def counted(method: str, outcome: str) -> float:
        return samples.get(("scribe_slack_api_calls_total", (("method", method), ("outcome", outcome))), 0.0)

    assert counted("files.getUploadURLExternal", "error") == 1
    assert counted("files.getUploadURLExternal", "ok") == 1
    assert counted("files.completeUploadExternal", "error") == 0
    assert counted("files.completeUploadExternal", "ok") == 1
    seen: dict[str, int] = {}
    for call in h.sim.calls:
        seen[call.method] = seen.get(call.method, 0) + 1
    for method, calls in seen.items():
        total = sum(counted(method, outcome) for outcome in ("ok", "error", "rate_limited", "unreachable"))
        assert total == calls, (method, total, calls)
