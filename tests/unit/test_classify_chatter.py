"""Families a black-box review of `scribe classify` found misread: a work item's state read as the
incident's, a conditional offer of command read as a claim, a pipeline's quoted name read as someone's
words, an app's statuses read as a sync, a dated recap read as a deploy, a part of the problem fixed
read as progress claimed, and prose after a CLI word read as the release's name.

Each family is checked on variants of our own (not only the review's sentence) and on near misses
that must keep their kind; the review's own lines are marked.
"""

from __future__ import annotations

import pytest

from bot.capture.classify import classify
from bot.incident_state import commander_from_text

# family -> [(text, is_bot, kind)], positives first, then near misses.
FAMILIES: dict[str, list[tuple[str, bool, str]]] = {
    "work item resolved or closed": [
        ("the jira ticket INC-77 is resolved", False, "other"),  # review
        ("Jira INC-77 moved to Resolved", False, "other"),  # review
        ("the ticket OPS-123 is closed", False, "other"),
        ("PR #123 closed", False, "other"),
        ("ticket marked as resolved", False, "other"),
        ("marked the ticket as resolved", False, "other"),
        ("INC-77 transitioned to Done", False, "other"),
        ("the linear issue ENG-42 is done", False, "other"),
        ("bug PLAT-991 closed as fixed", False, "other"),
        ("the story is done", False, "other"),
        ("resolving the ticket now", False, "other"),
        ("OPS-12 resolved in jira", False, "other"),
        ("moved the card to done", False, "other"),
        ("the github issue is closed", False, "other"),
        ("issue OPS-12 is resolved", False, "other"),
        ("jira says resolved", False, "other"),
        ("the ticket shows closed", False, "other"),
        ("support ticket closed", False, "other"),
        ("the zendesk ticket is resolved, errors still high", False, "other"),
        ("closed out the jira", False, "other"),
        # near misses: the incident itself, or a ticket beside a real closing
        ("INC-1042 closed", False, "resolved"),
        ("closing INC-1042", False, "resolved"),
        ("the incident INC-1042 is resolved", False, "resolved"),
        ("the issue is resolved", False, "resolved"),
        ("incident ticket INC-1042 is closed", False, "resolved"),
        ("PD says resolved", False, "alert_resolved"),
        ("sentry says it's resolved", False, "alert_resolved"),
        ("marking the incident as resolved", False, "resolved"),
        ("PR #881 merged, closing the incident", False, "resolved"),
        ("closing the incident, the jira ticket is resolved too", False, "resolved"),
        ("closing the ticket and the incident", False, "resolved"),
        ("resolved the ticket, errors back to baseline", False, "mitigated"),
        ("PR #4410 merged, deploying checkout 2.3.1 now", False, "deploy"),
        ("synchronization tasks completed unsuccessfully, deploy of orders failed", False, "deploy"),
    ],
    "part of the problem fixed": [
        ("we're closing in on it, resolved the DNS part", False, "other"),  # review
        ("resolved the cache part", False, "other"),
        ("fixed one of the two issues", False, "other"),
        ("the first part is fixed", False, "other"),
        ("resolved half of it", False, "other"),
        ("the DB side is resolved", False, "other"),
        ("zeroing in on it now", False, "other"),
        ("homing in on it", False, "other"),
        # near misses
        ("on it", False, "ack"),
        ("ok on it", False, "ack"),
        ("Resolved.", False, "resolved"),
        ("all clear, closing this out", False, "resolved"),
    ],
    "conditional offer of command": [
        ("I'll take IC if nobody else does", False, "decision"),  # review
        ("I can take IC if needed", False, "decision"),
        ("happy to take IC if you want", False, "decision"),
        ("I'll be IC unless someone else wants it", False, "decision"),
        ("if nobody else does, I'll take IC", False, "decision"),
        ("if needed I can be IC", False, "decision"),
        ("I could take comms if that helps", False, "decision"),
        ("glad to run point if nobody else is around", False, "decision"),
        # near misses: claims made
        ("I'll take IC", False, "ack"),
        ("taking IC", False, "ack"),
        ("IC here, ping me if anything changes", False, "ack"),
        ("IC here unless someone objects", False, "ack"),
        ("taking IC if that's ok", False, "ack"),
        ("if it stays flat we can call it resolved", False, "decision"),
    ],
    "named pipelines and app statuses": [
        ('Pipeline "Rollback checkout prod" #881 succeeded', True, "rollback"),  # review
        ('Pipeline "Deploy checkout prod" #880 succeeded', True, "deploy"),  # review
        ('Pipeline "Deploy checkout prod" #880 failed', True, "deploy"),
        ('Workflow "Release search to production" completed', True, "deploy"),
        ('Job "Roll back payments in prod" started', True, "rollback"),
        ("Application checkout is Synced and Healthy (no changes)", True, "other"),  # review
        ("Application checkout is Synced and Healthy", True, "other"),  # review
        ("argocd: payments is synced and healthy", True, "other"),
        ("Application checkout health status changed to Degraded", True, "alert_firing"),  # review
        ("Sync of payments-api to revision abc1234 succeeded (Argo CD)", True, "deploy"),  # review
        ("sync of checkout started", False, "deploy"),
        ("sync for auth-api failed", False, "deploy"),
        ("sync: (no changes)", False, "other"),
        ("terraform apply (no changes)", False, "other"),
        # near misses
        ('Pipeline "Unit tests and lint" #879 succeeded', True, "other"),
        ('"rolling back now" - that\'s what bob said', False, "other"),
        ('bob said "deploying now"', False, "other"),
        ("Application checkout is Synced and Degraded", True, "alert_firing"),
        ("Application checkout-api has been successfully synced at 2026-12-07T10:00:00Z.", True, "deploy"),
        ("no changes until INC-1042 is closed", False, "decision"),
        ("let's sync on this later", False, "other"),
    ],
    "dated recap": [
        ("yesterday's deploy of search v1.2 went fine", False, "other"),  # review
        ("last week's rollback of payments was clean", False, "other"),
        ("Monday's release of checkout 3.1 went out without issues", False, "other"),
        ("yesterday's deploy went out fine", False, "other"),
        ("friday's hotfix to auth landed at 17:00 with no problems", False, "other"),
        # near misses: a new event whose object is the old one
        ("rolling back yesterday's deploy of search", False, "rollback"),
        ("reverting yesterday's change to the cache config", False, "rollback"),
    ],
    "prose after a CLI word": [
        ("running helm upgrade in prod for checkout", False, "deploy"),  # review
        ("running helm upgrade on staging for payments now", False, "deploy"),
        ("doing a helm rollback on checkout", False, "rollback"),
        ("helm upgrade -n prod checkout ./chart", False, "deploy"),
        # near misses: a release named
        ("helm rollback checkout 41", False, "rollback"),
        ("helm upgrade --install search ./charts/search --set image.tag=1.2.3", False, "deploy"),
    ],
}
CASES = [
    pytest.param(text, is_bot, kind, id=f"{family}: {text[:40]}")
    for family, rows in FAMILIES.items()
    for text, is_bot, kind in rows
]


@pytest.mark.parametrize(("text", "is_bot", "kind"), CASES)
def test_family_variant(text: str, is_bot: bool, kind: str) -> None:
    assert classify(text, is_bot).kind == kind


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("running helm upgrade in prod for checkout", {"environment": "prod"}),
        ("kubectl argo rollouts abort in prod", {"environment": "prod"}),
        ("helm upgrade checkout ./chart -n prod", {"service": "checkout"}),
        ("helm rollback checkout 41", {"service": "checkout"}),
    ],
)
def test_a_preposition_is_never_the_release(text: str, refs: dict[str, str]) -> None:
    assert classify(text, False).refs == refs


def test_a_named_pipeline_gives_its_service() -> None:
    c = classify('Pipeline "Rollback checkout prod" #881 succeeded', True)
    assert c.refs == {"service": "checkout", "environment": "prod", "change_id": "#881"}


@pytest.mark.parametrize(
    ("text", "commander"),
    [
        ("I'll take IC if nobody else does", None),
        ("if nobody else does, I'll take IC", None),
        ("I'll be IC unless someone else wants it", None),
        ("I'll be IC, unless someone else wants it", None),
        ("I'll take IC in case nobody else does", None),
        ("<@U1> is IC if I drop", None),
        # claims and hand-overs made; a courtesy or a remark does not withdraw them
        ("IC here, ping me if anything changes", "UPOSTER"),
        ("IC here unless someone objects", "UPOSTER"),
        ("taking IC if that's ok", "UPOSTER"),
        ("taking IC. if anything breaks ping me", "UPOSTER"),
        ("handing IC to <@U2> in case I lose signal", "U2"),
        ("I'm IC for now", "UPOSTER"),
    ],
)
def test_a_conditional_claim_names_no_commander(text: str, commander: str | None) -> None:
    found = commander_from_text(text, "UPOSTER")
    assert (found[0] if found else None) == commander
