"""Flux notification-controller, Slack provider (internal/notifier/slack.go).

One attachment per event: author_name `<kind>/<name>.<namespace>`, text = the event message,
one field per event metadata key (revision, summary…). Kustomization events list the applied change
set ("Deployment/prod/checkout configured") or health-check results; HelmRelease events read
"Helm upgrade succeeded for release ns/name.vN with chart chart@x.y.z", "Helm rollback to previous
release … succeeded". "Reconciliation finished in …" with nothing applied is a no-op.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_AUTHOR = re.compile(
    r"^(kustomization|helmrelease|gitrepository|helmrepository|ocirepository|helmchart|bucket|imagepolicy|"
    r"imagerepository|imageupdateautomation|receiver)/([\w-]{1,100})\.([\w-]{1,100})\s*$",
    re.I | re.M,
)
_HELM_ROLLBACK = re.compile(r"\bHelm rollback\b", re.I)
_HELM_ACTION = re.compile(r"\bHelm (?:install|upgrade|test|uninstall)\b", re.I)
_CHANGESET = re.compile(r"^\w{2,40}/[\w.-]{1,100}(?:/[\w.-]{1,100})? (?:configured|created|deleted)\b", re.M)
_HEALTH = re.compile(
    r"\bhealth check (?:passed|failed)|\bfailed after\b|\bbuild failed\b|\bapply failed\b", re.I
)
# A Kustomization applies many objects; the workload its change set or health check names is the
# service (`Deployment/shop/cart created`). Without one, the Kustomization's own name is, unless it
# is one of the grouping names of Flux's documented repository layouts.
_LAYOUT_NAMES = frozenset(
    {"apps", "infrastructure", "infra", "infra-controllers", "infra-configs", "flux-system"}
)
_WORKLOAD = re.compile(r"\b(?:Deployment|StatefulSet|DaemonSet|Rollout)/[\w-]{1,63}/([\w.-]{1,253})\b")
_CHART = re.compile(r"\bchart\s{1,2}[\w.-]{1,100}@(v?\d{1,6}(?:\.\d{1,6}){1,3}(?:[-+][\w.]{1,30})?)")
_REVISION = re.compile(
    r"@sha1:([0-9a-f]{7,40})|^revision:\s{0,2}[\w./-]{0,60}?/([0-9a-f]{7,40})\b", re.M | re.I
)


@integration("flux", order=100)
def parse(msg: Message) -> Match | None:
    if "/" not in msg.text:
        return None
    author = _AUTHOR.search(msg.text)
    if not author:
        return None
    resource_kind, name = author.group(1).lower(), author.group(2)
    if _HELM_ROLLBACK.search(msg.text):
        kind = "rollback"
    elif resource_kind in ("helmrelease", "kustomization") and (
        _HELM_ACTION.search(msg.text) or _CHANGESET.search(msg.text) or _HEALTH.search(msg.text)
    ):
        kind = "deploy"
    else:
        kind = "other"  # source fetches, no-op reconciliations, dependency waits
    service = name
    if resource_kind == "kustomization":
        workload = _WORKLOAD.search(msg.text)
        service = workload.group(1) if workload else (name if name not in _LAYOUT_NAMES else None)
    chart = _CHART.search(msg.text)
    rev = _REVISION.search(msg.text)
    return Match(
        kind,
        "flux",
        clean(
            {
                "service": service if kind != "other" else None,
                "version": chart.group(1) if chart and kind != "other" else None,
                "commit": (rev.group(1) or rev.group(2)) if rev and kind != "other" else None,
                "environment": R.find_environment(author.group(3)) if kind != "other" else None,
            }
        ),
    )
