"""Helpers shared by the parsers of deploy tools (pure)."""

from __future__ import annotations

import re

_ROLLBACK_NAME = re.compile(r"roll[ _-]?back|revert|\bundo\b", re.I)
_DEPLOY_NAME = re.compile(
    r"deploy|release|promot|\bship|rollout|roll[ _-]out|\bcd\b|\bprod(?:uction)?\b|publish|helm|terraform|"
    r"\bapply\b|canary",
    re.I,
)
# A deployed commit whose own title makes the revert explicit (git's `Revert "…"` convention).
REVERT_COMMIT = re.compile(r"(?:^|[\s:>`*_])Revert\s[\"'“]", re.M)


def change_kind(name: str) -> str:
    """rollback / deploy / other from a job or pipeline name (CI that is not a deploy is other)."""
    if _ROLLBACK_NAME.search(name):
        return "rollback"
    if _DEPLOY_NAME.search(name):
        return "deploy"
    return "other"
