"""kubewatch and Botkube messages built from their sources' formats with values of our own,
through the flattener and the classifier as bot messages."""

from __future__ import annotations

from typing import Any

import pytest

from bot.capture.classify import classify
from bot.domain import Classification
from bot.slack.flatten import flatten_message


def judge(payload: dict[str, Any]) -> Classification:
    return classify(flatten_message(payload), True)


# --- kubewatch: one attachment field titled "kubewatch", value event.Message() ------------------------


def kubewatch(message: str) -> dict[str, Any]:
    return {"attachments": [{"color": "danger", "fields": [{"title": "kubewatch", "value": message}]}]}


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Node `gke-pool-b-81f2` is Not Ready : \nNodeNotReady", "alert_firing"),
        ("Node `gke-pool-b-81f2` Rebooted : \nNodeRebooted", "alert_firing"),
        ("Node `gke-pool-b-81f2` is Ready : \nNodeReady", "alert_resolved"),
        ("Pod `cart-6d7f9-zz8qw` in `retail` Crashed : \nCrashLoopBackOff Error", "alert_firing"),
        ("A `Secret` in namespace `retail` has been `Updated`:\n`retail/cart-db-credentials`", "deploy"),
        ("A `ConfigMap` in namespace `retail` has been `Updated`:\n`retail/cart-flags`", "deploy"),
        ("A `ConfigMap` in namespace `retail` has been `Created`:\n`retail/cart-flags`", "other"),
        # No diff: a Deployment's status moves all the time, so an update is not known to be a release.
        ("A `Deployment` in namespace `retail` has been `Updated`:\n`retail/cart`", "other"),
        ("A `Pod` in namespace `retail` has been `Deleted`:\n`retail/cart-6d7f9-zz8qw`", "other"),
        ("A namespace `sandbox-42` has been `Created`", "other"),
    ],
)
def test_kubewatch(message: str, kind: str) -> None:
    c = judge(kubewatch(message))
    assert (c.kind, c.refs, c.source) == (kind, {}, "kubewatch")


# --- Botkube: header `<emoji> <resource> <event>`, Kind/Name/… fields, Messages bullets ---------------


def botkube(header: str, fields: dict[str, str], messages: list[str] | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{header}*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}:* {v}"} for k, v in fields.items()]},
    ]
    if messages:
        bullets = "\n".join("• " + m for m in messages)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Messages*\n" + bullets}})
    when = "<!date^1767261600^{date_num} {time_secs}|Thu, 01 Jan 2026 10:00:00 UTC>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": when}]})
    return {"blocks": blocks}


DEPLOYMENT = {"Kind": "Deployment", "Name": "cart", "Namespace": "retail", "Cluster": "us-prod-2"}
IMAGE = (
    "spec.template.spec.containers[*].image:\n\t-: ghcr.io/acme/cart:v3.1.0\n\t+: ghcr.io/acme/cart:v3.2.0"
)


@pytest.mark.parametrize(
    ("payload", "kind", "refs"),
    [
        (
            botkube("💡 apps/v1/deployments updated", DEPLOYMENT, [IMAGE]),
            "deploy",
            {"service": "cart", "version": "v3.2.0", "from_version": "v3.1.0"},
        ),
        (
            botkube("💡 apps/v1/deployments updated", DEPLOYMENT, ["status.readyReplicas:\n\t-: 3\n\t+: 2"]),
            "other",
            {},
        ),
        (
            botkube(
                "💡 v1/configmaps updated",
                {"Kind": "ConfigMap", "Name": "cart-flags"},
                ["data.mode:\n\t-: a\n\t+: b"],
            ),
            "deploy",
            {},
        ),
        (
            botkube(
                "❗ v1/pods error",
                {"Kind": "Pod", "Name": "cart-6d7f9-zz8qw", "Reason": "OOMKilling"},
                ["killed"],
            ),
            "alert_firing",
            {},
        ),
        (
            botkube("❗ apps/v1/deployments error", {**DEPLOYMENT, "Reason": "ProgressDeadlineExceeded"}),
            "alert_firing",
            {"service": "cart"},
        ),
        (
            botkube("💡 v1/nodes info", {"Kind": "Node", "Name": "node-7", "Reason": "NodeReady"}),
            "alert_resolved",
            {},
        ),
        (botkube("🟢 v1/pods created", {"Kind": "Pod", "Name": "toolbox"}), "other", {}),
        (botkube("❗ batch/v1/jobs deleted", {"Kind": "Job", "Name": "backfill-9"}), "other", {}),
    ],
)
def test_botkube(payload: dict[str, Any], kind: str, refs: dict[str, str]) -> None:
    c = judge(payload)
    assert (c.kind, c.refs, c.source) == (kind, refs, "botkube")


def test_botkube_image_tag_that_is_no_version_gives_none() -> None:
    diff = "spec.template.spec.containers[*].image:\n\t-: acme/cart:latest\n\t+: acme/cart:sha-9f1c2e7"
    c = judge(botkube("💡 apps/v1/deployments updated", DEPLOYMENT, [diff]))
    assert (c.kind, c.refs) == ("deploy", {"service": "cart"})


# --- Flux notification-controller: the service of a Kustomization event --------------------------------


def flux(author: str, message: str) -> dict[str, Any]:
    revision = {"title": "revision", "value": "main@sha1:4c3b2a1908f7e6d5c4b3a2918f7e6d5c4b3a2910"}
    return {"attachments": [{"author_name": author, "text": message, "fields": [revision]}]}


@pytest.mark.parametrize(
    ("author", "message", "service"),
    [
        (
            "kustomization/apps.flux-system",
            "Deployment/retail/cart configured\nService/retail/cart unchanged",
            "cart",
        ),
        (
            "kustomization/retail.flux-system",
            "Health check failed after 2m0s: [StatefulSet/retail/cart-db status]",
            "cart-db",
        ),
        ("kustomization/retail.flux-system", "Health check passed in 12.5s", "retail"),
        ("kustomization/apps.flux-system", "Health check passed in 12.5s", None),
    ],
)
def test_flux_kustomization_service_is_the_workload_it_names(
    author: str, message: str, service: str | None
) -> None:
    c = judge(flux(author, message))
    assert (c.kind, c.source, c.refs.get("service")) == ("deploy", "flux", service)
