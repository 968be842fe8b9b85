"""The bot's Prometheus metrics, one registry per app.

A per-app `CollectorRegistry` rather than prometheus_client's global one: tests build many apps in
one process, and two apps in one process must not count into each other. Labels are small closed
sets (kind, outcome, Web API method): never message text, user ids or anything secret.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

# Slack wants the HTTP answer within 3 s; the buckets are dense below that.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def request_outcome(status: int) -> str:
    """`scribe_slack_requests_total`'s label for the status Bolt answered a request with."""
    if status < 300:
        return "ok"
    if status in (401, 403):
        return "unauthorized"
    if status == 404:
        return "unhandled"
    return "error" if status >= 500 else "rejected"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.captured = Counter(
            "scribe_captured_entries",
            "Timeline entries captured, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.slack_requests = Counter(
            "scribe_slack_requests",
            "Slack requests (events, commands, interactivity) answered, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "scribe_slack_ack_seconds",
            "Seconds from receiving a Slack request to answering it",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.web_api_calls = Counter(
            "scribe_slack_api_calls",
            "Slack Web API calls, by method and outcome (ok, error, rate_limited, unreachable)",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.reminder_sweeps = Counter(
            "scribe_reminder_sweeps",
            "Follow-up reminder sweeps, by outcome (ok, rate_limited, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.reminder_items = Counter(
            "scribe_reminder_items",
            "Follow-ups handled by reminder sweeps, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.canvas_updates = Counter(
            "scribe_canvas_updates",
            "Live canvas (or pinned fallback message) updates, by outcome",
            ["outcome"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The Prometheus text format of everything above."""
        return generate_latest(self.registry)
