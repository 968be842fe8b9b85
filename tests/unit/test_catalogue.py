"""The service catalogue: known names and their variants found as written, never inside a larger
identifier; the pure helpers that learn names from SCRIBE_SERVICES, integrations and channel names."""

from __future__ import annotations

import time

import pytest

from bot.capture.catalogue import (
    ServiceCatalogue,
    names_from_channel,
    names_from_refs,
    names_from_setting,
)
from bot.capture.classify import classify

CATALOGUE = ServiceCatalogue.of(["checkout", "payments webhooks", "auth-gateway", "Search", "ledger-db"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("checkout's deploy (v2.8.0) done", ["checkout"]),
        ("Checkout API: Major Outage", ["Checkout API"]),
        ("rolled back CHECKOUT_SVC and search-service", ["CHECKOUT_SVC", "search-service"]),
        ("deploy of checkout-api 2.4.0 done", ["checkout-api"]),
        ("Payments Webhooks: Partial Outage", ["Payments Webhooks"]),
        ("ReplicationLag on ledger-db is back to OK", ["ledger-db"]),
        ("Deployment/shop/checkout configured", ["checkout"]),
        ("<https://gitlab.example.com/acme/search|search>", ["search", "search"]),
        ("the auth-gateway, then SEARCH.", ["auth-gateway", "SEARCH"]),
    ],
)
def test_known_names_and_their_variants_are_found_as_written(text: str, found: list[str]) -> None:
    assert [name for _, name in CATALOGUE.find(text)] == found
    for at, name in CATALOGUE.find(text):
        assert text[at : at + len(name)] == name


@pytest.mark.parametrize(
    "text",
    [
        "payments-deploy-prod failed",
        "pod checkout-api-7c9f8d6b5-x2lqp crashed",
        "checkout-api-config changed",
        "checkout.internal is unreachable",
        "paged @checkout about it",
        "see #checkout",
        "payments alone is not payments webhooks' first word",  # "payments" only starts a known name
        "ledger is fine, ledger-dbx is not",
        "auth is a prefix of auth-gateway only",
    ],
)
def test_a_known_name_inside_a_larger_identifier_is_no_mention(text: str) -> None:
    found = [name.lower() for _, name in CATALOGUE.find(text)]
    assert "checkout" not in found and "checkout-api" not in found
    assert "payments" not in found and "ledger" not in found and "auth" not in found
    assert "ledger-dbx" not in found


def test_an_empty_catalogue_finds_nothing_and_with_names_adds() -> None:
    empty = ServiceCatalogue()
    assert empty.find("checkout is down") == []
    grown = empty.with_names(["checkout"]).with_names(["orders"])
    assert grown.names == {"checkout", "orders"}
    assert [n for _, n in grown.find("orders and checkout")] == ["orders", "checkout"]


def test_setting_names_are_split_trimmed_and_named_once() -> None:
    assert names_from_setting(" checkout, Payments Webhooks,,checkout-api, CHECKOUT ") == [
        "checkout",
        "Payments Webhooks",
        "checkout-api",
    ]
    assert names_from_setting("") == []


@pytest.mark.parametrize("value", ["checkout, <!channel>", "a,-leading-dash", "x" * 80])
def test_a_bad_setting_entry_is_named(value: str) -> None:
    with pytest.raises(ValueError, match="SCRIBE_SERVICES"):
        names_from_setting(value)


def test_names_are_learned_from_an_integrations_refs() -> None:
    argocd = classify(
        ":white_check_mark: Application checkout-api is now running new version of deployments manifests.\n"
        "checkout-api\nSync Status: Synced\nRevision: 9f1c2ab7e4d3c5b6a7980112233445566778899a",
        True,
    )
    assert argocd.source == "argocd"
    assert names_from_refs(argocd.refs) == ["checkout-api"]
    assert names_from_refs({"service": ["search", "auth", "search", "prod", "v2.0.0"]}) == ["search", "auth"]
    assert names_from_refs({"version": "2.0.0"}) == []


@pytest.mark.parametrize(
    ("channel", "names"),
    [
        ("inc-2231-checkout-latency", ["checkout"]),
        ("inc-checkout-api-5xx", ["checkout-api"]),
        ("inc-2026-12-04-payments-down", ["payments"]),
        ("incident-sev1-ledger-db-replication-lag", []),  # three parts: too unsure
        ("inc-2231-high-latency-search", ["search"]),
        ("incident-db-migration-stuck", []),
        ("inc-2231-prod-outage", []),
        ("inc-2231", []),
        ("inc-2231-eu-west-1-latency", []),
        ("inc-42-checkout-latency-payments", ["checkout"]),  # only the first run
        ("inc-2231-ab12cd3-deploy", []),  # a commit, not a name
    ],
)
def test_a_channel_name_gives_at_most_one_plausible_service(channel: str, names: list[str]) -> None:
    assert names_from_channel(channel) == names


def test_a_huge_line_is_scanned_within_a_bound() -> None:
    catalogue = ServiceCatalogue.of([f"svc{i}-api" for i in range(300)] + ["checkout", "payments webhooks"])
    for text in ("checkout " * 5000, "payments-x " * 4000, "Payments Webhooks " * 2500):
        started = time.perf_counter()
        found = catalogue.find(text[:40_000])
        assert time.perf_counter() - started < 0.5  # only catastrophic work would break this
        assert len(found) <= 64
    assert catalogue.find("payments-x " * 4000) == []
    assert catalogue.find("checkout " * 5000)[:2] == [(0, "checkout"), (9, "checkout")]
