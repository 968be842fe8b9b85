"""Ack latency and throughput of `scribe serve` under signed message events, next to a bare
slack-bolt AsyncApp on aiohttp with no listeners, under the same load in the same run.

    python bench/ingest.py [--rate 200] [--seconds 10] [--concurrency 16] [--rounds 5]
        [--round-seconds 3] [--database-url URL]

Prints figures only; no assertion on time (the machine is shared: compare the ratio, not absolutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.simulator.client import SignedSlackClient
from bot.simulator.server import SlackSimulator

BARE_APP = """
import logging, sys
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

logging.disable(logging.WARNING)  # the bare app warns on every unhandled event
token, secret, api_url, port, listener = sys.argv[1:6]
bolt = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url), signing_secret=secret,
                process_before_response=True,
                raise_error_for_unhandled_request=False)
if listener == "noop":
    @bolt.event("message")
    async def on_message(body):
        pass

async def events(request):
    return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

async def healthz(request):
    return web.Response(text="ok")

app = web.Application()
app.router.add_post("/slack/events", events)
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=int(port), print=None)
"""

MESSAGES = [
    "ack, looking",
    "Deploying api-gateway v2.14.0 to prod (DEP-7781)",
    "error rate is still climbing on checkout",
    "should we roll back?",
    "rolling back api-gateway to v2.13.2",
    "5xx back to baseline, recovered",
    "anyone seen the dashboard link?",
    "[FIRING:1] HighCPU (api-gateway critical)",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as res:
                    if res.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Load:
    def __init__(self, client: SignedSlackClient, sim: SlackSimulator, channel: str, user: str) -> None:
        self.client, self.sim, self.channel, self.user = client, sim, channel, user
        self.n = 0
        self.errors = 0

    async def one(self) -> float:
        self.n += 1
        text = MESSAGES[self.n % len(MESSAGES)]
        # The message exists in the simulated Slack (as it would), so the bot's follow-up calls on it
        # (marker reaction) succeed; only the event delivery is ours to time.
        ts = (await self.sim.post_message(self.channel, self.user, text, deliver=False)).ts
        event = {
            "type": "message",
            "channel": self.channel,
            "user": self.user,
            "ts": ts,
            "event_ts": ts,
            "text": text,
            "channel_type": "channel",
        }
        start = time.perf_counter()
        response = await self.client.send_event(event)
        if response.status >= 500:
            self.errors += 1
        return time.perf_counter() - start

    async def fixed_rate(self, rate: float, seconds: float) -> tuple[list[float], float]:
        """Open loop: request i leaves at t0 + i/rate whatever happened to the previous ones."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = t0 + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one()))
        latencies = await asyncio.gather(*tasks)
        elapsed = loop.time() - t0
        return list(latencies), len(latencies) / elapsed

    async def saturate(self, concurrency: int, seconds: float) -> float:
        """Closed loop: how many requests per second the server sustains."""
        done = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                await self.one()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): robust to a noisy, shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Target:
    """One server under test and the load generator aimed at it."""

    def __init__(self, name: str, url: str, sim: SlackSimulator, channel: str, user: str, pid: int) -> None:
        self.name, self.pid = name, pid
        connector = aiohttp.TCPConnector(limit=256)
        self.client = SignedSlackClient(
            url, sim.signing_secret, team_id=sim.team_id, bot_user_id=sim.bot_user_id
        )
        self.client._session = aiohttp.ClientSession(connector=connector)
        self.load = Load(self.client, sim, channel, user)
        self.rounds: list[float] = []
        self.cpu: list[float] = []
        self.generator_cpu: list[float] = []

    async def latency(self, rate: float, seconds: float) -> dict[str, float]:
        await self.load.fixed_rate(50, 1)  # warm-up: caches, connections, first auth.test
        latencies, achieved = await self.load.fixed_rate(rate, seconds)
        return {
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "achieved_rps": achieved,
        }

    async def saturate(self, concurrency: int, seconds: float) -> None:
        cpu_before, own_before, sent_before = cpu_seconds(self.pid), own_cpu_seconds(), self.load.n
        self.rounds.append(await self.load.saturate(concurrency, seconds))
        sent = self.load.n - sent_before
        self.cpu.append((cpu_seconds(self.pid) - cpu_before) / sent)
        self.generator_cpu.append((own_cpu_seconds() - own_before) / sent)

    async def close(self) -> None:
        await self.client.close()


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round-seconds", type=float, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    sim = SlackSimulator()
    await sim.start()
    user = sim.add_user("alice")
    channel = sim.add_channel("incident-bench", members=[user])
    tmp = Path(tempfile.mkdtemp(prefix="scribe-bench-"))
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCRIBE_"))}
    env.update(
        SLACK_BOT_TOKEN=sim.bot_token,
        SLACK_SIGNING_SECRET=sim.signing_secret,
        SLACK_API_URL=sim.api_url,
        DATABASE_URL=db_url,
        PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("SCRIBE_BENCH_PYTHONPATH"), str(ROOT)) if p),
    )
    env.update(
        {k: v for k, v in os.environ.items() if k.startswith("SCRIBE_") and k != "SCRIBE_BENCH_PROFILE"}
    )
    serve_log = (tmp / "serve.log").open("w")
    apps = {"bare bolt": "none", "bolt + no-op": "noop"}
    ports = {name: free_port() for name in (*apps, "scribe serve")}
    procs = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-c",
                BARE_APP,
                sim.bot_token,
                sim.signing_secret,
                sim.api_url,
                str(ports[name]),
                arg,
            ],
            env=env,
            cwd=tmp,
        )
        for name, arg in apps.items()
    }
    procs["scribe serve"] = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--migrate", "--port", str(ports["scribe serve"])],
        env=env,
        cwd=tmp,
        stderr=serve_log,
    )
    targets: dict[str, Target] = {}
    latency: dict[str, dict[str, float]] = {}
    try:
        for name, port in ports.items():
            await wait_up(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}/slack/events"
            targets[name] = Target(name, url, sim, channel, user, procs[name].pid)
        for name, target in targets.items():
            latency[name] = await target.latency(args.rate, args.seconds)
        if os.environ.get("SCRIBE_BENCH_PROFILE"):
            profile(procs["scribe serve"].pid, args.rounds * args.round_seconds * len(targets))
        # Alternate short rounds so that a noisy neighbour hits both apps alike; medians are quoted.
        for _ in range(args.rounds):
            for target in targets.values():
                await target.saturate(args.concurrency, args.round_seconds)
    finally:
        for target in targets.values():
            await target.close()
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        await sim.stop()

    print(
        f"ingest: {args.rate:.0f} req/s for {args.seconds:.0f} s, then {args.rounds} alternating rounds of "
        f"{args.round_seconds:.0f} s closed loop x{args.concurrency}; database {db_url.split(':', 1)[0]}"
    )
    print(
        f"{'':14} {'p50 ack':>9} {'p99 ack':>9} {'achieved':>10} {'max req/s':>10} {'CPU/req':>9} "
        f"{'generator CPU/req':>18}"
    )
    for name, t in targets.items():
        r = latency[name]
        print(
            f"{name:14} {r['p50_ms']:8.1f}ms {r['p99_ms']:8.1f}ms {r['achieved_rps']:9.0f}/s "
            f"{statistics.median(t.rounds):9.0f}/s {statistics.median(t.cpu) * 1000:7.2f}ms "
            f"{statistics.median(t.generator_cpu) * 1000:16.2f}ms"
        )
    bare, ours = targets["bare bolt"], targets["scribe serve"]
    ratios = [o / b for o, b in zip(ours.rounds, bare.rounds, strict=True)]
    listener = targets["bolt + no-op"]
    floor = [n / b for n, b in zip(listener.rounds, bare.rounds, strict=True)]
    print("per-round throughput ratio: " + " ".join(f"{r:.0%}" for r in ratios))
    print(
        f"capture throughput = {statistics.median(ratios):.0%} of the bare app's, median of {len(ratios)} "
        f"rounds (target >= 70%); p99 ack at {args.rate:.0f}/s = {latency['scribe serve']['p99_ms']:.1f} ms "
        "(target <= 50 ms)"
    )
    print(
        f"Bolt's own dispatch to one no-op listener = {statistics.median(floor):.0%} of the bare app's: "
        "the ceiling for any app that handles the event"
    )
    print(
        f"server CPU per request: {statistics.median(ours.cpu) / statistics.median(bare.cpu):.1f}x the bare "
        "app's (includes the work after the ack: names, marker reactions and their echoed events); "
        f"5xx: bare {bare.load.errors}, scribe {ours.load.errors}"
    )


def profile(pid: int, seconds: float) -> None:
    """py-spy the capture path while it is under load (not its start-up); GIL holders only."""
    out = os.environ["SCRIBE_BENCH_PROFILE"]
    subprocess.Popen(
        [
            "py-spy",
            "record",
            "--gil",
            "-d",
            str(int(seconds)),
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            out,
            "--pid",
            str(pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    asyncio.run(main())
