"""Helpers shared by the parsers of deploy tools (pure)."""

from __future__ import annotations

import re

from bot.capture import refs as R

_ROLLBACK_NAME = re.compile(r"roll[ _-]?back|revert|\bundo\b", re.I)
_DEPLOY_NAME = re.compile(
    r"deploy|release|promot|\bship|rollout|roll[ _-]out|\bcd\b|\bprod(?:uction)?\b|publish|helm|terraform|"
    r"\bapply\b|canary",
    re.I,
)
# A deployed commit whose own title makes the revert explicit (git's `Revert "…"` convention).
REVERT_COMMIT = re.compile(r"(?:^|[\s:>`*_])Revert\s[\"'“]", re.M)


def strip_emphasis(title: str) -> str:
    """A title without the Slack markdown left around it: `*[Triggered] High latency on search-api*`
    loses its opening `*` to the status prefix, so a closing mark with no partner goes too."""
    title = title.strip()
    while len(title) > 2 and title[0] == title[-1] and title[0] in "*_~`" and title[0] not in title[1:-1]:
        title = title[1:-1].strip()
    while title and title[-1] in "*_~`" and title.count(title[-1]) % 2 == 1:
        title = title[:-1].rstrip()
    while title and title[0] in "*_~`" and title.count(title[0]) % 2 == 1:
        title = title[1:].lstrip()
    return title


def change_kind(name: str) -> str:
    """rollback / deploy / other from a job or pipeline name (CI that is not a deploy is other)."""
    if _ROLLBACK_NAME.search(name):
        return "rollback"
    if _DEPLOY_NAME.search(name):
        return "deploy"
    return "other"


def version_or_none(token: str | None) -> str | None:
    """`token` when the whole of it is a version (`v8.1.0`, `2026.2.1`), else None (`latest`, a branch)."""
    return token if token and R.find_versions(token) == [(0, token)] else None


def field_value(text: str, pattern: re.Pattern[str]) -> str | None:
    """The value of a `Title: value` line (Slack bold and backticks around either dropped)."""
    m = pattern.search(text)
    if m is None:
        return None
    value = m.group(1).strip().strip("`").strip()
    return value or None


def field_line(title: str) -> re.Pattern[str]:
    """A `Title: value` line as the flattener writes an attachment field, or a Block Kit field
    written `*Title*: value` / `*Title:* value`."""
    return re.compile(rf"^\*?{re.escape(title)}(?:\*:|:\*|:)[ \t]{{0,4}}([^\n]{{0,300}})$", re.M)
