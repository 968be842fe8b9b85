"""The capture, draft and follow-up suites run twice: Slack over HTTP (`scribe serve`) and over
Socket Mode (`scribe socket`). Each test builds its `Harness` as usual; the mode comes from here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e import harness

BOTH_MODES = {"test_capture_path", "test_draft", "test_followups"}
# Tests of the HTTP transport itself (signatures, raw signed requests, replicas behind one URL) and
# of code paths without Slack deliveries.
HTTP_ONLY = {
    "test_bad_signature_is_401_and_stores_nothing",
    "test_timestamp_older_than_five_minutes_is_401",
    "test_redelivered_event_creates_one_entry",
    "test_same_message_under_new_event_id_is_still_one_entry",
    "test_two_replicas_sharing_postgres_store_one_entry",
    "test_ten_thousand_entries_draft_within_slack_limits",
    "test_scribe_draft_writes_what_slack_received",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in BOTH_MODES and metafunc.function.__name__ not in HTTP_ONLY:
        metafunc.fixturenames.append("slack_mode")
        metafunc.parametrize("slack_mode", harness.MODES, indirect=True)


@pytest.fixture
def slack_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    mode = getattr(request, "param", "http")
    monkeypatch.setattr(harness, "DEFAULT_MODE", mode)
    yield mode
