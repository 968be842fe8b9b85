"""PagerDuty's Slack messages: the page's ticket, the alert rule it pages, and who acknowledged it."""

from __future__ import annotations

import pytest

from bot.capture.classify import Classifier
from bot.postmortem.acknowledger import acknowledged_by

CLASSIFIER = Classifier()


@pytest.mark.parametrize(
    ("text", "kind", "refs"),
    [
        # The account's key in the number: the ticket is the key, the title's rule name the alert.
        (
            "Triggered: #PD-8812 PaymentsHigh5xx on payments",
            "alert_firing",
            {"ticket": "PD-8812", "alert": "PaymentsHigh5xx", "service": "payments"},
        ),
        (
            "Acknowledged by bob: #PD-8812 PaymentsHigh5xx",
            "ack",
            {"ticket": "PD-8812", "alert": "PaymentsHigh5xx"},
        ),
        (
            "Resolved: #PD-8812 PaymentsHigh5xx",
            "alert_resolved",
            {"ticket": "PD-8812", "alert": "PaymentsHigh5xx"},
        ),
        # The app's fields: the Service field wins over the title's "on …".
        (
            "Triggered\n#45390 [Datadog] PaymentAuthFailing on payments\nService: payment-gateway",
            "alert_firing",
            {"ticket": "#45390", "alert": "PaymentAuthFailing", "service": "payment-gateway"},
        ),
        # A prose title names no alert rule; the plain number stays as written.
        (
            "Triggered\n#45321 High error rate on checkout-api\nService: checkout-api\nUrgency: High",
            "alert_firing",
            {"ticket": "#45321", "service": "checkout-api"},
        ),
        ("Resolved by Alice #12345", "alert_resolved", {"ticket": "#12345"}),
        # Another page's number later in the text does not lend its title.
        (
            "Acknowledged by Li Chen\n#4480 Search latency high\nService: search-api\nsee #8830: HighMemory",
            "ack",
            {"ticket": "#4480", "service": "search-api"},
        ),
    ],
)
def test_pagerduty_refs(text: str, kind: str, refs: dict[str, str]) -> None:
    c = CLASSIFIER.classify(text, True, bot_name="pagerduty")
    assert (c.kind, dict(c.refs), c.source) == (kind, refs, "pagerduty")


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("Acknowledged by bob: #PD-8812 PaymentsHigh5xx", "bob"),
        ("Acknowledged by Alice Kim\n#45321 High error rate on checkout-api", "Alice Kim"),
        ("Acknowledged by Bo Chen #80412", "Bo Chen"),
        ("Kenji Sato acknowledged incident #48240 Checkout API - High 5xx rate", "Kenji Sato"),
        ("*Acknowledged by @bo*", "bo"),
        ("Alert #4521 acknowledged by sam@acme.io", "sam@acme.io"),
        ("Acknowledged", None),
        ("Triggered: #PD-8812 PaymentsHigh5xx", None),
    ],
)
def test_acknowledged_by(text: str, who: str | None) -> None:
    assert acknowledged_by(text) == who
