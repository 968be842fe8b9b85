"""Versions in refs: numbers that only look like versions never become one; a rollback's version is
the one it goes back to, and nothing is guessed when the line names none."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.refs import extract_refs, find_versions

_SMALL = st.integers(0, 64)
_OCTET = st.integers(0, 255)

# Numbers a deploy or rollback line carries that are not the release's version (README "refs").
_NOT_VERSIONS = st.one_of(
    st.builds("{}/{} hosts".format, _SMALL, _SMALL),
    st.builds("{}/{} nodes are available".format, _SMALL, _SMALL),
    st.builds("{} replicas".format, _SMALL),
    st.builds("{}/{} pods ready".format, _SMALL, _SMALL),
    st.builds("took {}m{}.{:03d}s".format, _SMALL, _SMALL, st.integers(0, 999)),
    st.builds("p99 {}ms".format, st.integers(1, 99_999)),
    st.builds("{}.{}s".format, _SMALL, st.integers(0, 999)),
    st.builds("{}.{}%".format, st.integers(0, 100), st.integers(0, 99)),
    st.builds("error rate {}.{}.{}%".format, _SMALL, _SMALL, _SMALL),
    st.builds("host {}.{}.{}.{}".format, _OCTET, _OCTET, _OCTET, _OCTET),
    st.builds("upstream {}.{}.{}.{}:8080".format, _OCTET, _OCTET, _OCTET, _OCTET),
    st.builds("on 2026-{:02d}-{:02d}".format, st.integers(1, 12), st.integers(1, 28)),
    st.builds("on {:02d}/{:02d}/2026".format, st.integers(1, 12), st.integers(1, 28)),
    st.builds("am {:02d}.{:02d}.2026".format, st.integers(1, 28), st.integers(1, 12)),
    st.builds("{}s from the edge".format, st.sampled_from([500, 502, 503, 504])),
    st.builds("HTTP {} on /pay".format, st.integers(400, 599)),
    st.builds("Build 2026{:02d}{:02d}.{}".format, st.integers(1, 12), st.integers(1, 28), _SMALL),
    st.builds("release shop/checkout-api.v{}".format, st.integers(1, 300)),
    st.builds("chore: bump okhttp to 4.{}.{}".format, _SMALL, _SMALL),
    st.builds("Bump lodash from 4.17.{} to 4.17.{}".format, _SMALL, _SMALL),
    st.builds("Grafana v{}.{}.{}".format, st.integers(8, 12), _SMALL, _SMALL),
    st.builds("kubectl v1.{}.{}".format, _SMALL, _SMALL),
)


@settings(max_examples=400, deadline=None)
@given(_NOT_VERSIONS, st.sampled_from(["deploy", "rollback", "decision"]))
def test_numbers_that_are_not_versions_never_become_versions(noise: str, kind: str) -> None:
    for text in (f"deploy of checkout finished, {noise}", f"rolling back checkout: {noise}", f"{noise}\n"):
        refs = extract_refs(text, kind)
        assert "version" not in refs, text
        assert "from_version" not in refs, text


@settings(max_examples=200, deadline=None)
@given(_NOT_VERSIONS, st.from_regex(r"v?[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}", fullmatch=True))
def test_the_real_version_survives_the_noise_around_it(noise: str, version: str) -> None:
    deploy = extract_refs(f"deployed checkout {version} to prod, {noise}", "deploy")
    assert deploy["version"] == version
    assert "from_version" not in deploy
    rollback = extract_refs(f"rolled back checkout to {version}, {noise}", "rollback")
    assert rollback["version"] == version
    assert "from_version" not in rollback


@pytest.mark.parametrize(
    ("text", "version", "from_version"),
    [
        ("rolled back checkout from 2.4.0 to 2.3.9", "2.3.9", "2.4.0"),
        ("checkout v2.4.0 -> v2.3.9 rolled back", "v2.3.9", "v2.4.0"),
        ("roll back started for billing-worker → 0.9.4 (was 0.9.5)", "0.9.4", "0.9.5"),
        ("Rollback of Payments done. 5.0.3 is live in prod again", "5.0.3", None),
        ("recs を 4.0.1 にロールバックしました", "4.0.1", None),
        ("rollback en cours vers la 3.2.0 sur ledger", "3.2.0", None),
        ("rolling back v2.14.0, it broke checkout", None, "v2.14.0"),  # the one undone, named as such
        ("rolling back checkout now", None, None),  # names none: nothing guessed
        ("rolled back checkout on 4/4 hosts", None, None),
        ("rolled back checkout v2.4.8 → 4 hosts", None, "v2.4.8"),
        ("helm rollback checkout 14", None, None),  # a Helm revision
    ],
)
def test_a_rollback_goes_back_to_its_version(
    text: str, version: str | None, from_version: str | None
) -> None:
    refs = extract_refs(text, "rollback")
    assert refs.get("version") == version
    assert refs.get("from_version") == from_version


def test_versions_are_written_as_they_appear() -> None:
    text = "deployed web v1.0.2, chart web@6.5.4, image web:1.4"
    assert [v for _, v in find_versions(text)] == ["v1.0.2", "6.5.4", "1.4"]


def test_bumping_the_release_itself_is_a_version() -> None:
    assert extract_refs("Bump version to 3.3.2", "deploy")["version"] == "3.3.2"
