"""Services in refs: wherever a responder writes one, with a catalogue and by position alone; several
services each keep their own version."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier
from bot.capture.refs import extract_refs, is_service_name, keep_substrings

# Where a line puts a service: subject, object, "of X", possessive, adjective, before its version.
_DEPLOY_LINES = (
    "{s} {v} deployed to prod",
    "deployed {s} {v} to prod",
    "deploy of {s} {v} done",
    "{s}'s deploy ({v}) finished on 4/4 hosts",
    "shipping {s} {v} now",
    "canary for {s} {v} is at 10%",
)
_ROLLBACK_LINES = (
    "{s} rolled back to {v}",
    "rolling back {s} to {v}",
    "rollback of {s} to {v} done",
    "{s}'s rollback to {v} finished",
)
_TEMPLATE_WORDS = frozenset(
    w.strip("'(){}").lower()
    for line in _DEPLOY_LINES + _ROLLBACK_LINES
    for w in line.replace("'s", " ").split()
)

_NAMES = st.from_regex(r"[a-z]{3,9}(-[a-z]{2,6})?", fullmatch=True).filter(
    lambda n: is_service_name(n) and not set(n.split("-")) & _TEMPLATE_WORDS
)
_VERSIONS = st.from_regex(r"v?[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}", fullmatch=True)
_VARIANTS = st.sampled_from(["{}", "{}-api", "{}_svc", "{}-service"])
_CASES = st.sampled_from([str.lower, str.upper, str.title])


@settings(max_examples=300, deadline=None)
@given(_NAMES, _VERSIONS, _VARIANTS, _CASES, st.sampled_from(_DEPLOY_LINES + _ROLLBACK_LINES))
def test_a_known_service_is_found_wherever_it_stands(name, version, variant, case, line) -> None:
    written = case(variant.format(name))
    text = line.format(s=written, v=version)
    kind = "rollback" if line in _ROLLBACK_LINES else "deploy"
    refs = extract_refs(text, kind, ServiceCatalogue.of([name]))
    assert refs.get("service") == written, text
    assert refs.get("version") == version, text


@pytest.mark.parametrize(
    ("text", "kind", "service", "version"),
    [
        ("search rolled back to 1.9.9", "rollback", "search", "1.9.9"),
        ("deploy of search 2.0.0 done", "deploy", "search", "2.0.0"),
        ("Rolling back Payments to 5.0.3", "rollback", "Payments", "5.0.3"),
        ("the auth deploy is done", "deploy", "auth", None),
        ("checkout's deploy (v2.8.0) finished on 4/4 hosts", "deploy", "checkout", "v2.8.0"),
        ("Payments 5.1.0 rollout is at 50%", "deploy", "Payments", "5.1.0"),
        ("web v1.0.2 deployed to prod", "deploy", "web", "v1.0.2"),
        ("HighErrorRate is firing again for payments", "alert_firing", "payments", None),
        ("health check on auth-gateway failing in eu-west-1", "alert_firing", "auth-gateway", None),
        ("new spike of TypeError in web, 3k events in 5m", "alert_firing", "web", None),
        ("otra vez salta la alerta de latencia en search", "alert_firing", "search", None),
        ("アラート発報: ErrorBudgetBurn (payments)", "alert_firing", "payments", None),
        ("checkout is recovering, success rate 99.9% for the last 5m", "mitigated", "checkout", None),
        ("rollback en cours vers la 3.2.0 sur ledger", "rollback", "ledger", "3.2.0"),
        ("recs を 4.0.1 にロールバックしました", "rollback", "recs", "4.0.1"),
        ("reverted commit 9f3c2ab on main and redeployed web", "rollback", "web", None),
        ("rb of payments to 3.1.0 done", "rollback", "payments", "3.1.0"),
        ("got paged for disk full on db-3, then on ledger-api", "alert_firing", "ledger-api", None),
    ],
)
def test_position_rules_find_a_service_no_catalogue_knows(text, kind, service, version) -> None:
    refs = extract_refs(text, kind)
    assert refs.get("service") == service
    assert refs.get("version") == version


@pytest.mark.parametrize(
    "text",
    [
        "Alice is now IC",
        "looks healthy now, orders flowing again",
        "standing down, incident over",
        "rolling back the cdn config",
        "downgraded the redis client lib back to 4.5.2 and redeployed",
        "ok let's deploy the fix",
        "the canary deploy is at 5%",
        "deploy is stuck at 'waiting for rollout to finish'",
        "mise en prod de la 3.4.0 en cours",
        "pod checkout-api-7c9f8d6b5-x2lqp restarted after the deploy",
        "keep feature flag `new_checkout_flow` OFF for all tenants",
        "undoing the flag flip, `new_pricing` back to off",
    ],
)
def test_words_standing_where_a_name_stands_are_not_services(text) -> None:
    assert "service" not in extract_refs(text, "deploy")
    assert "service" not in extract_refs(text, "rollback")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_NAMES, _VERSIONS), min_size=2, max_size=3, unique_by=lambda p: p[0]))
def test_several_services_each_keep_their_own_version(pairs) -> None:
    text = "deployed " + " and ".join(f"{name} {version}" for name, version in pairs) + " to staging"
    known = ServiceCatalogue.of(name for name, _ in pairs)
    # Without a catalogue: names a position rule recognises one by one are recognised together.
    alone = all(
        extract_refs(f"deployed {name} {version}", "deploy").get("service") == name for name, version in pairs
    )
    for services in (known, None) if alone else (known,):
        refs = extract_refs(text, "deploy", services)
        assert refs["service"] == [name for name, _ in pairs], text
        assert refs["version"] == [version for _, version in pairs], text
        assert "from_version" not in refs


def test_position_rules_know_common_names_alone() -> None:
    for name in ("api", "worker", "search", "media-proxy", "geo-lookup", "checkout"):
        assert extract_refs(f"deployed {name} 1.0.0", "deploy")["service"] == name


def test_one_service_stays_a_string_and_a_repeated_one_is_named_once() -> None:
    refs = extract_refs(
        "rolled back search to 1.9.9, search is healthy", "rollback", ServiceCatalogue.of(["search"])
    )
    assert refs["service"] == "search"
    assert refs["version"] == "1.9.9"


def test_several_known_services_without_their_own_versions_keep_one_version() -> None:
    refs = extract_refs("bumped api and worker to 3.1.0", "deploy", ServiceCatalogue.of(["api", "worker"]))
    assert refs["service"] == ["api", "worker"]
    assert refs["version"] == "3.1.0"


def test_the_classifier_passes_the_catalogue_through() -> None:
    text = "Payments Webhooks are timing out again"
    without = Classifier().classify(text, False)
    known = Classifier().classify(text, False, services=ServiceCatalogue.of(["payments webhooks"]))
    assert without.kind == known.kind == "alert_firing"
    assert "service" not in without.refs
    assert known.refs["service"] == "Payments Webhooks"


def test_keep_substrings_takes_lists_whose_every_value_is_in_the_text() -> None:
    text = "deployed api 3.1.0 and worker 3.1.2"
    refs = {
        "service": ["api", "worker"],
        "version": ["3.1.0", "3.9.9"],  # one value not in the text: the pairing is broken, drop it whole
        "ticket": [],
        "environment": ["prod"],
        "alert": [1, 2],
        "not_a_key": "api",
    }
    assert keep_substrings(refs, text) == {"service": ["api", "worker"]}


@pytest.mark.parametrize(
    "text",
    ["bob is IC", "carol is the new IC now", "dave is incident commander", "erin is on-call for this"],
)
def test_a_person_given_a_role_is_not_a_service(text) -> None:
    assert "service" not in extract_refs(text, "ack")
