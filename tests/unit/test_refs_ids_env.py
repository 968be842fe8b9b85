"""Environment, change ids and tickets in refs: the split parts still answer as the facade did, and
several tickets are a list."""

from __future__ import annotations

import pytest

from bot.capture.refs import environment_in_name, extract_refs, find_change_id, find_environment


@pytest.mark.parametrize(
    ("text", "environment"),
    [
        ("Deployment of release Release-215 on stage Production started.", "Production"),
        ("deploying to stage now", "stage"),
        ("stage 2 of the canary in prod", "prod"),
        ("rolled back orders-prod", None),
        ("desplegando v3.1 en producción", "producción"),
    ],
)
def test_the_environment_is_a_word_of_its_own(text: str, environment: str | None) -> None:
    assert find_environment(text) == environment


def test_an_environment_inside_a_job_name() -> None:
    assert environment_in_name("deploy-payments-prod") == "prod"
    assert environment_in_name("build-payments") is None


def test_several_tickets_are_a_list_one_stays_a_string() -> None:
    assert extract_refs("INC-2291 is resolved; follow-ups tracked in OPS-3310", "resolved")["ticket"] == [
        "INC-2291",
        "OPS-3310",
    ]
    assert extract_refs("INC-2291 is resolved, INC-2291 closed", "resolved")["ticket"] == "INC-2291"


def test_change_ids_as_written() -> None:
    assert find_change_id("DEP-7802 started: notifications 1.9.0 → prod") == "DEP-7802"
    assert find_change_id("reverting PR #3310") == "#3310"
    assert extract_refs("deploying build 4521 to staging", "deploy")["change_id"] == "4521"
