"""Delivery tools' Slack messages built from their templates with values of our own - CircleCI
slack-orb, Octopus Deploy step templates, Azure DevOps service hooks, GitLab pipeline attachments
- and a bot's state report, through the flattener and the classifier as bot messages."""

from __future__ import annotations

from typing import Any

import pytest

from bot.capture.classify import classify
from bot.domain import Classification
from bot.slack.flatten import flatten_message


def judge(payload: dict[str, Any]) -> Classification:
    return classify(flatten_message(payload), True)


# --- CircleCI slack-orb src/message_templates ---------------------------------------------------------


def orb_basic(header: str, text: str, fields: dict[str, str]) -> dict[str, Any]:
    section = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": f"*{k}*: {v}"} for k, v in fields.items()],
    }
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        section,
        {"type": "actions"},
    ]
    return {"text": text, "blocks": blocks}


def orb_sections(*lines: str) -> dict[str, Any]:
    return {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": line}} for line in lines]}


FAILED, SUCCEEDED = (
    ("Job Failed. :red_circle:", "CircleCI job failed."),
    ("Job Succeeded. :white_check_mark:", ""),
)
BUILD = "<https://app.circleci.com/pipelines/gh/acme/basket/4411|CIRCLE CI BUILD>"


@pytest.mark.parametrize(
    ("payload", "kind", "refs"),
    [
        (
            orb_basic(
                *FAILED, {"Job": "deploy-production", "Project": "basket", "Branch": "main", "Author": "jo"}
            ),
            "deploy",
            {"service": "basket"},
        ),
        (
            orb_basic(
                *SUCCEEDED, {"Job": "rollback", "Project": "basket", "Commit": "a1b2c3d4e5f6", "Author": "jo"}
            ),
            "rollback",
            {"service": "basket", "commit": "a1b2c3d4e5f6"},
        ),
        (
            orb_basic(*FAILED, {"Job": "deploy", "Commit": 'Revert "Cache carts" (9e8d7c6)', "Mentions": ""}),
            "rollback",
            {"commit": "9e8d7c6"},
        ),
        (orb_basic(*SUCCEEDED, {"Job": "lint", "Project": "basket", "Branch": "feat/x"}), "other", {}),
        # The header's emoji as Slack may render it back, not as the template wrote it.
        (
            orb_basic("Job Failed. 🔴", "", {"Job": "deploy", "Project": "basket"}),
            "deploy",
            {"service": "basket"},
        ),
        (
            orb_basic(
                "Deployment Successful! :tada:",
                "",
                {"Project": "basket", "When": "01/02/2026 10:00:00", "Tag": "v8.1.0"},
            ),
            "deploy",
            {"service": "basket", "version": "v8.1.0"},
        ),
        (
            orb_basic(
                "ON HOLD - Awaiting Approval :raised_hand:", "", {"Project": "basket", "Branch": "main"}
            ),
            "other",
            {},
        ),
        (
            orb_sections(
                ":white_check_mark: *STAGING ROLLBACK SUCCESSFUL* :rocket:", BUILD, "Rolled back to 8.0.4"
            ),
            "rollback",
            {"environment": "STAGING", "version": "8.0.4"},
        ),
        (
            orb_sections(
                ":x: *PRODUCTION ROLLBACK FAILED!* :broken_heart:", BUILD, "Attempted to rollback to v8.0.4"
            ),
            "rollback",
            {"environment": "PRODUCTION", "version": "v8.0.4"},
        ),
        (
            orb_sections(
                ":white_check_mark: *V2 STAGING DEPLOYMENT SUCCESSFUL* :rocket:",
                BUILD,
                "*CHANGELOG*\n- bump jackson to 2.17.1",
            ),
            "deploy",
            {"environment": "STAGING"},
        ),
    ],
)
def test_circleci(payload: dict[str, Any], kind: str, refs: dict[str, str]) -> None:
    c = judge(payload)
    assert (c.kind, c.refs, c.source) == (kind, refs, "circleci")


# --- Octopus Deploy (Library step templates) --------------------------------------------------------


def octopus(title: str, value: str, **fields: str) -> dict[str, Any]:
    more = [{"title": k.replace("_", " "), "value": v} for k, v in fields.items()]
    return {"attachments": [{"color": "good", "fields": [{"title": title, "value": value}, *more]}]}


LINK = "<https://deploy.example.org/app#/Spaces-1/projects/{0}|{1}>"


@pytest.mark.parametrize(
    ("payload", "kind", "refs"),
    [
        (
            octopus(
                "Success",
                f"Deploy {LINK.format('basket', 'Basket')} release 8.1.0 to Test eu-tenant (web-03)",
            ),
            "deploy",
            {"service": "Basket", "version": "8.1.0", "environment": "Test"},
        ),
        (
            octopus(
                "Failed",
                f"Deploy {LINK.format('rb', 'Basket - Rollback')} release 8.0.4 to Production  (web-01)",
            ),
            "rollback",
            {"service": "Basket", "version": "8.0.4", "environment": "Production"},
        ),
        (
            octopus(
                "Success",
                "Basket release 2026.2.1 to Staging (web-02)",
                Environment="Staging",
                Release="2026.2.1",
            ),
            "deploy",
            {"service": "Basket", "version": "2026.2.1", "environment": "Staging"},
        ),
        (
            octopus(
                "Success",
                "Basket release 8.1.1 to Production (web-01)",
                Changes_in_this_release='Revert "Split carts" (#771)',
            ),
            "rollback",
            {"service": "Basket", "version": "8.1.1", "environment": "Production", "change_id": "#771"},
        ),
    ],
)
def test_octopus(payload: dict[str, Any], kind: str, refs: dict[str, str]) -> None:
    c = judge(payload)
    assert (c.kind, c.refs, c.source) == (kind, refs, "octopus-deploy")


# --- Azure DevOps service hooks (detailedMessage.text) -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "refs"),
    [
        (
            "Deployment of release Release-31 on environment QA Succeeded. Time to deploy: 0.5 minutes.",
            "deploy",
            {"change_id": "Release-31", "environment": "QA"},
        ),
        (
            "Deployment of release Release-32 on stage Prod started.\nTrigger: Manual",
            "deploy",
            {"change_id": "Release-32", "environment": "Prod"},
        ),
        (
            "Deployment of release Rollback-7 on environment Prod Failed.",
            "rollback",
            {"change_id": "Rollback-7", "environment": "Prod"},
        ),
        (
            "Pre deployment approval pending for release Release-33 on environment Prod.",
            "deploy",
            {"change_id": "Release-33", "environment": "Prod"},
        ),
        ("Build 20260102.3 succeeded", "other", {}),
        ("Release Release-34 created.", "other", {}),
    ],
)
def test_azure_devops(text: str, kind: str, refs: dict[str, str]) -> None:
    c = judge({"text": text})
    assert (c.kind, c.refs, c.source) == (kind, refs, "azure-devops")


# --- GitLab pipeline_message.rb attachment ---------------------------------------------------------------


def gitlab_pipeline(
    status: str, ref: tuple[str, str], *failed: tuple[str, str], name: str = ""
) -> dict[str, Any]:
    base = "https://gitlab.example.org/shop/basket"
    fields = [
        {"title": ref[0], "value": f"<{base}/-/tags/{ref[1]}|{ref[1]}>"},
        {"title": "Commit", "value": f"<{base}/-/commit/1|Bump>"},
    ]
    fields += [{"title": title, "value": f"<{base}/-/jobs/9|{value}>"} for title, value in failed]
    if name:
        fields.append({"title": "Pipeline name", "value": name})
    attachment = {
        "author_name": "Jo",
        "title": f"Pipeline #5120 {status} in 03:10",
        "fields": fields,
        "footer": "basket",
    }
    return {"attachments": [attachment]}


@pytest.mark.parametrize(
    ("payload", "kind", "refs"),
    [
        (gitlab_pipeline("has passed", ("Tag", "v8.2.0")), "other", {}),
        (
            gitlab_pipeline(
                "has failed", ("Tag", "v8.2.0"), ("Failed stage", "deploy"), ("Failed job", "deploy-eu")
            ),
            "deploy",
            {"change_id": "#5120", "service": "basket", "version": "v8.2.0"},
        ),
        (
            gitlab_pipeline("has passed", ("Branch", "main"), name="Rollback basket"),
            "rollback",
            {"change_id": "#5120", "service": "basket"},
        ),
        (
            gitlab_pipeline(
                "has failed", ("Branch", "main"), ("Failed stage", "test"), ("Failed job", "rspec 1/4")
            ),
            "other",
            {},
        ),
    ],
)
def test_gitlab_pipeline_attachment(payload: dict[str, Any], kind: str, refs: dict[str, str]) -> None:
    c = judge(payload)
    assert (c.kind, c.refs, c.source) == (kind, refs, "gitlab")


def test_gitlab_running_deployment_names_its_project_without_group() -> None:
    base = "https://gitlab.example.org/shop/basket"
    text = (
        f"<{base}|basket> with job <{base}/-/jobs/77|#77> by <https://gitlab.example.org/jo|Jo>\n"
        f"<{base}/-/commit/ab12cd34|ab12cd34>: Split carts"
    )
    c = judge({"text": "Starting deploy to staging", "attachments": [{"text": text}]})
    assert (c.kind, c.source) == ("deploy", "gitlab")
    assert c.refs == {"environment": "staging", "service": "basket", "change_id": "#77", "commit": "ab12cd34"}


# --- a bot's state report is not a deploy -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Pre-deployment state captured: production at v4.2.0",
        "basket currently at v4.2.0 in production",
        "Post-deploy snapshot recorded for basket (staging)",
        "Current version: 4.2.0",
    ],
)
def test_a_bots_state_report_is_other(text: str) -> None:
    assert judge({"text": text}).kind == "other"


def test_a_state_report_beside_a_deploy_is_still_the_deploy() -> None:
    c = judge(
        {"text": "Deploying basket v4.3.0 to production. Pre-deployment state captured: production at v4.2.0"}
    )
    assert c.kind == "deploy"


# --- gaps in the older parsers: 8398a7/action-slack on a tag, Argo CD's degraded sync condition --------


def test_github_actions_workflow_on_a_tag_rolls_back_to_that_tag() -> None:
    base = "https://github.com/shop/basket/commit/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    fields = {
        "repo": "<https://github.com/shop/basket|shop/basket>",
        "message": f"<{base}|Release 7.9.2>",
        "commit": f"<{base}|0a1b2c3d>",
        "eventName": "workflow_dispatch",
        "ref": "refs/tags/v7.9.2",
        "workflow": f"<{base}/checks|Rollback staging>",
    }
    attachment = {
        "author_name": "8398a7@action-slack",
        "fields": [{"title": k, "value": v, "short": True} for k, v in fields.items()],
    }
    c = judge({"text": ":white_check_mark: Succeeded GitHub Actions", "attachments": [attachment]})
    assert (c.kind, c.source) == ("rollback", "github")
    assert c.refs["version"] == "v7.9.2"
    assert "from_version" not in c.refs


def test_argocd_degraded_names_the_revision_of_the_failed_sync() -> None:
    fields = [
        {"title": "Health Status", "value": "Degraded"},
        {
            "title": "SyncError",
            "value": "Failed sync attempt to 3f9e2d1: one or more objects failed to apply",
        },
    ]
    attachment = {
        "title": "basket",
        "title_link": "https://cd.example.org/applications/basket",
        "fields": fields,
    }
    c = judge({"text": ":exclamation: Application basket has degraded.", "attachments": [attachment]})
    assert (c.kind, c.source) == ("alert_firing", "argocd")
    assert c.refs["commit"] == "3f9e2d1"
