"""The environment a message names, written as a word of its own (`prod`, `Production`) (pure)."""

from __future__ import annotations

import re

# "stage" is also a step of a rollout ("stage 2 of the canary", "the next stage") or the word Azure
# DevOps puts before the environment ("on stage Production"): not then.
ENV_WORDS = (
    r"production|prod|staging|stage(?<!next stage)(?<!first stage)(?<!final stage)(?<!last stage)"
    r"(?<!each stage)(?<!every stage)(?<!canary stage)(?<!rollout stage)(?<!pipeline stage)(?<!this stage)"
    r"(?!\s{1,2}(?:\d|[ivx]{1,4}\b|one|two|three|four|five|of\b|production|prod\b|staging|preprod))|stg|"
    r"preprod|pre-prod|sandbox|producción|produccion|produção|producao|produktion"
)
# The words of ENV_WORDS: what `find_environment` can find as a whole ASCII token.
ENV_NAMES = frozenset(
    "production prod staging stage stg preprod pre-prod sandbox producción produccion produção producao "
    "produktion".split()
)
_ENV_SOURCE = (
    rf"(?<![\w-])({ENV_WORDS})(?![\w-])"
    r"|(?:\b(?:to|in|on|env|environment)[\s:=*_`]{1,4})(dev|qa|uat|test)\b"
)
ENV = re.compile(_ENV_SOURCE, re.I)
# The same, for lower-cased text: `re.I` defeats the literal fast paths (several times slower), so
# find_environment searches the lower-cased text and reads the value at the same offsets.
_ENV_LOW = re.compile(r"\b(?<!-)" + _ENV_SOURCE[len(r"(?<![\w-])") :])

_ENV_TARGET_SOURCE = rf"\b(?:to|into|in|on|en|em|nach|auf)\s{{1,2}}\*{{0,2}}({ENV_WORDS})(?![\w-])"
_ENV_TARGET = re.compile(_ENV_TARGET_SOURCE, re.I)
_ENV_TARGET_LOW = re.compile(_ENV_TARGET_SOURCE)
ENV_HINT = re.compile(r"prod|stag|stg|sandbox|uat|qa|dev|test")  # on the lower-cased text, like _ENV_LOW


def find_environment(text: str, low: str | None = None) -> str | None:
    """The environment written in the text; a destination ("… to production") beats a source.
    `low` is `text.lower()` when the caller already has it."""
    if low is None:
        low = text.lower()
    if len(low) == len(text):  # lower-casing kept every offset (always, but for a few Unicode letters)
        target = _ENV_TARGET_LOW.search(low)
        if target:
            return text[target.start(1) : target.end(1)]
        m = _ENV_LOW.search(low)
        if not m:
            return None
        group = 1 if m.group(1) else 2
        return text[m.start(group) : m.end(group)]
    target = _ENV_TARGET.search(text)
    if target:
        return target.group(1)
    m = ENV.search(text)
    if not m:
        return None
    return m.group(1) or m.group(2)


def environment_in_name(name: str) -> str | None:
    """An environment that is one dash/underscore-separated part of a job or pipeline name."""
    for part in re.split(r"[-_/.\s]+", name):
        if part and ENV.fullmatch(part):
            return part
    return None
