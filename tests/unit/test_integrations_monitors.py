"""Monitoring tools' Slack messages, built from their templates with values of our own: Uptime
Kuma, AWS CloudWatch (two Lambdas), Statuspage, Honeybadger. Each goes through the flattener and
the classifier as a bot message, as the capture path does."""

from __future__ import annotations

from typing import Any

import pytest

from bot.capture.classify import classify
from bot.domain import Classification
from bot.slack.flatten import flatten_message


def judge(payload: dict[str, Any]) -> Classification:
    return classify(flatten_message(payload), True)


# --- Uptime Kuma (server/notification-providers/slack.js, server/model/monitor.js) ----------------


def kuma_rich(msg: str) -> dict[str, Any]:
    time = {"type": "mrkdwn", "text": "*Time (UTC)*\n2026-02-01 10:00:00"}
    section = {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Message*\n" + msg}, time]}
    header = {"type": "header", "text": {"type": "plain_text", "text": "Uptime Kuma Alert"}}
    return {
        "text": "Uptime Kuma Alert\n" + msg,
        "attachments": [{"color": "#e01e5a", "blocks": [header, section]}],
    }


CERT = "[shop-tls][https://shop.example.org] Server certificate shop.example.org will expire in 7 days"


@pytest.mark.parametrize(
    ("payload", "kind", "alert"),
    [
        (
            kuma_rich("[billing [EU]] [🔴 Down] Request failed with status code 504"),
            "alert_firing",
            "billing [EU]",
        ),
        (kuma_rich("[billing [EU]] [✅ Up] 200 - OK <!channel>"), "alert_resolved", "billing [EU]"),
        # Newer versions: plain text `<monitor name>\n<msg>`, the emoji maybe as a short code.
        (
            {"text": "db-replica\n[db-replica] [:red_circle: Down] connect ETIMEDOUT"},
            "alert_firing",
            "db-replica",
        ),
        ({"text": "[Login page] [:white_check_mark: Up] Keyword found"}, "alert_resolved", "Login page"),
        (
            {"text": CERT},
            "alert_firing",
            "shop-tls",
        ),
    ],
)
def test_uptime_kuma(payload: dict[str, Any], kind: str, alert: str) -> None:
    c = judge(payload)
    assert (c.kind, c.refs, c.source) == (kind, {"alert": alert}, "uptime-kuma")


# --- AWS CloudWatch -----------------------------------------------------------------------------------


def notify_slack(name: str, old: str, new: str) -> dict[str, Any]:
    """terraform-aws-notify-slack format_cloudwatch_alarm."""
    fields = [
        ("Alarm Name", f"`{name}`"),
        ("Alarm Description", "`p99 latency of the cart ALB`"),
        ("Alarm reason", "`Threshold Crossed: 2 datapoints [3.1] were greater than the threshold (2.5).`"),
        ("Old State", f"`{old}`"),
        ("Current State", f"`{new}`"),
        ("Link to Alarm", f"https://console.aws.amazon.com/cloudwatch/home?region=us-west-2#alarm:alarmFilter=ANY;name={name}"),
    ]  # fmt: skip
    attachment = {
        "color": "danger",
        "fallback": f"Alarm {name} triggered",
        "text": f"AWS CloudWatch notification - {name}",
        "fields": [{"title": t, "value": v, "short": True} for t, v in fields],
    }
    return {"attachments": [attachment]}


def blueimp(name: str, state: str, description: str = "CPU of the search nodes") -> dict[str, Any]:
    fields = [
        {"title": "Status", "value": state, "short": True},
        {"title": "Region", "value": "US West (Oregon)"},
    ]
    return {"attachments": [{"title": name, "text": description, "fields": fields}]}


@pytest.mark.parametrize(
    ("payload", "kind", "refs"),
    [
        (notify_slack("cart-alb-p99", "OK", "ALARM"), "alert_firing", {"alert": "cart-alb-p99"}),
        (notify_slack("cart-alb-p99", "ALARM", "OK"), "alert_resolved", {"alert": "cart-alb-p99"}),
        (notify_slack("cart-alb-p99", "ALARM", "INSUFFICIENT_DATA"), "other", {}),
        (blueimp("search-cpu-high", "ALARM"), "alert_firing", {"alert": "search-cpu-high"}),
        (blueimp("search-cpu-high", "OK"), "alert_resolved", {"alert": "search-cpu-high"}),
        (blueimp("search-cpu-high", "INSUFFICIENT_DATA", description=""), "other", {}),
    ],
)
def test_cloudwatch_alarms(payload: dict[str, Any], kind: str, refs: dict[str, str]) -> None:
    c = judge(payload)
    assert (c.kind, c.refs, c.source) == (kind, refs, "aws-cloudwatch")


def test_cloudwatch_fields_without_the_title_or_backticks() -> None:
    names = ("Alarm Name", "Alarm Description", "Alarm reason", "Old State", "Current State")
    values = ("queue-depth", "Depth of the mail queue", "Threshold Crossed", "OK", "ALARM")
    fields = [{"title": t, "value": v, "short": True} for t, v in zip(names, values, strict=True)]
    c = judge(
        {"attachments": [{"color": "danger", "fallback": "Alarm queue-depth triggered", "fields": fields}]}
    )
    assert (c.kind, c.refs, c.source) == ("alert_firing", {"alert": "queue-depth"}, "aws-cloudwatch")


def test_a_status_field_alone_is_not_cloudwatch() -> None:
    c = judge({"attachments": [{"title": "nightly export", "fields": [{"title": "Status", "value": "OK"}]}]})
    assert c.source != "aws-cloudwatch"


# --- Statuspage (NReilingh/statuspage-slack parseNotification.js) --------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("Major Outage", "alert_firing"),
        ("Partial Outage", "alert_firing"),
        ("Degraded Performance", "alert_firing"),
        ("Operational", "alert_resolved"),
        ("Under Maintenance", "other"),
    ],
)
def test_statuspage_component(status: str, kind: str) -> None:
    c = judge(
        {"attachments": [{"color": "#E67E22", "fields": [{"title": "Card Payments", "value": status}]}]}
    )
    assert (c.kind, c.source) == (kind, "statuspage")
    assert c.refs == ({"service": "Card Payments"} if kind != "other" else {})


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("investigating", "ack"),
        ("identified", "other"),
        ("monitoring", "mitigated"),
        ("resolved", "resolved"),
        ("scheduled", "other"),
        ("in_progress", "other"),
        ("verifying", "other"),
        ("completed", "other"),
    ],
)
def test_statuspage_incident(status: str, kind: str) -> None:
    attachment = {"title": f"Delayed order emails [{status}]", "text": "An update was posted."}
    c = judge({"attachments": [attachment]})
    assert (c.kind, c.refs, c.source) == (kind, {}, "statuspage")


# --- Honeybadger (docs.honeybadger.io webhook payloads' `message`) -----------------------------------


PROD, STAGING = {"environment": "production"}, {"environment": "staging"}


@pytest.mark.parametrize(
    ("message", "kind", "refs"),
    [
        ("[Backoffice/production] PG::ConnectionBad: could not connect to server", "alert_firing", PROD),
        (
            "[Backoffice/staging] Redis::TimeoutError has occurred 40 times in the past 5 minutes",
            "alert_firing",
            STAGING,
        ),
        ("[Backoffice/production] PG::ConnectionBad resolved by Ines P.", "alert_resolved", PROD),
        ("[Backoffice] Admin login is down.", "alert_firing", {"alert": "Admin login"}),
        ("[Backoffice/production] Ines P. commented on PG::ConnectionBad: pool exhausted again", "other", {}),
        ("[Backoffice/production] PG::ConnectionBad assigned to Ines P. by Tom R.", "other", {}),
    ],
)
def test_honeybadger(message: str, kind: str, refs: dict[str, str]) -> None:
    c = judge({"text": message})
    assert (c.kind, c.refs, c.source) == (kind, refs, "honeybadger")


@pytest.mark.parametrize(
    "text", ["[ERROR] KeyError: 'user_id'", "[ci/main] Build: failed", "[P2] Triggered: disk"]
)
def test_other_bracketed_bots_are_not_honeybadger(text: str) -> None:
    assert judge({"text": text}).source != "honeybadger"
