"""Pasted deploy/rollback CLI commands and output: kubectl, helm, kubectl-argo-rollouts.

`kubectl rollout undo deployment/x` prints "deployment.apps/x rolled back"; `helm rollback x 41`
prints "Rollback was a success! Happy Helming!"; `kubectl rollout status` prints
"deployment "x" successfully rolled out"; `helm upgrade` prints "Release "x" has been upgraded.".
These are the one kind of pasted output that *is* an event, so this parser also reads code blocks.
"""

from __future__ import annotations

import re

from bot.capture import refs as R
from bot.capture.integrations.registry import Match, Message, clean, integration

_WORKLOAD = r"(?:deployment|deploy|statefulset|sts|daemonset|ds|rollout)(?:\.apps)?"
# A release or rollout named after the command; prose around the words names none ("running helm
# upgrade in prod for checkout": "in" is no release); the command still says what happened, and the
# refs are then read from the words like a person's.
_NAMED = (
    r"(?!(?:in|on|for|to|of|at|from|into|onto|via|with|and|or|the|a|an|now|again|then|first|here|there|it|this|"
    r"that|is|was|failed|done|went)\b)([A-Za-z0-9][\w.-]{0,99})"
)
_ROLLBACK = (
    re.compile(
        rf"\bkubectl\s{{1,2}}(?:-n\s{{1,2}}\S{{1,60}}\s{{1,2}})?rollout\s{{1,2}}undo\s{{1,2}}"
        rf"{_WORKLOAD}[/ ]([\w.-]{{1,100}})"
    ),
    re.compile(rf"^\s{{0,4}}{_WORKLOAD}/([\w.-]{{1,100}}) rolled back\s*$", re.M),
    re.compile(r"\bhelm\s{1,2}rollback\s{1,2}(?:" + _NAMED + ")?"),
    re.compile(r"\bkubectl\s{1,2}argo\s{1,2}rollouts\s{1,2}(?:abort|undo)\s{1,2}(?:" + _NAMED + ")?"),
    re.compile(r"(?m)^()Rollback was a success! Happy Helming!"),
)
_DEPLOY = (
    re.compile(
        rf"\bkubectl\s{{1,2}}(?:-n\s{{1,2}}\S{{1,60}}\s{{1,2}})?set\s{{1,2}}image\s{{1,2}}{_WORKLOAD}/"
        r"([\w.-]{1,100})\s{1,2}[\w.-]{1,100}=\S{1,200}?:(v?\d{1,6}(?:\.\d{1,6}){0,3}[\w.-]{0,30})\b"
    ),
    re.compile(rf"^\s{{0,4}}{_WORKLOAD} \"([\w.-]{{1,100}})\" successfully rolled out", re.M),
    re.compile(r"^Release \"([\w.-]{1,100})\" has been upgraded\. Happy Helming!", re.M),
    re.compile(r"\bhelm\s{1,2}upgrade\s{1,2}(?:(?:--install\s{1,2})?" + _NAMED + r"\s)?\S"),
)
_ENV = re.compile(r"(?:-n|--namespace)[ =]([\w-]{1,60})")


@integration("cli", order=170)
def parse(msg: Message) -> Match | None:
    if "kubectl" not in msg.lower and "helm" not in msg.lower and "rolled" not in msg.lower:
        return None
    # Fences are often glued to the output (```deployment.apps/x rolled back```): unglue them so
    # line anchors work.
    text = msg.text.replace("```", "\n")
    for kind, patterns in (("rollback", _ROLLBACK), ("deploy", _DEPLOY)):
        for pattern in patterns:
            m = pattern.search(text)
            if m:
                tool = "helm" if "helm" in m.group(0).lower() else "kubectl"
                if m.group(1) is None:
                    return Match(kind, tool, R.extract_refs(msg.text, kind))
                refs = {"service": m.group(1)}
                if m.lastindex and m.lastindex >= 2:
                    refs["version"] = m.group(2)
                return Match(kind, tool, clean(refs))
    return None
