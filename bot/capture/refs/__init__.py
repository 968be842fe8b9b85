"""Refs extraction: the identifiers a timeline entry points at (pure).

Keys and meaning are CONTRACT.md's: service, version (for a rollback the version rolled back *to*),
from_version, change_id, alert, ticket, commit, environment. Values are always substrings of the
text as written - nothing is normalised ("prod" stays "prod") - so the draft can quote them and a
reader can find them in the message. `keep_substrings` enforces that at the very end. A key holds a
list only when the line really names several (two services, each with its own version, paired by
position; two tickets).

Every pattern is bounded and linear: refs run on every captured message. The parts live in
`ids` (change ids, tickets, commits), `versions`, `environment` and `services`; this module puts
them together and is the import point for the rest of the bot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol, TypeGuard

from bot.capture.refs.environment import ENV_HINT, environment_in_name, find_environment
from bot.capture.refs.ids import (
    HASH_NUM,
    JOB_NUM,
    find_change_id,
    find_commit,
    find_sentry_short_id,
    find_tickets,
)
from bot.capture.refs.services import find_service, is_service_name, named_with_versions
from bot.capture.refs.versions import find_versions, versions_for
from bot.domain import REF_KEYS, RefValue


class KnownServices(Protocol):
    """What refs need of `bot.capture.catalogue.ServiceCatalogue` (which itself uses this package's
    service-name test, so it is not imported here)."""

    def find(self, text: str) -> list[tuple[int, str]]: ...


__all__ = [
    "environment_in_name",
    "extract_refs",
    "find_change_id",
    "find_commit",
    "find_environment",
    "find_sentry_short_id",
    "find_service",
    "find_versions",
    "is_service_name",
    "keep_substrings",
    "versions_for",
]

_DIGIT = re.compile(r"\d")
_VERSION_KINDS = ("deploy", "rollback", "decision")
# Between a service and its own version: "search 2.0.0", "payments:5.0.3", "Search release 2.0.1".
_JOINS_VERSION = re.compile(r"(?:\s{1,2}|:|@)(?:(?:release|version)\s{1,2})?v?$", re.I)


def _one_or_many(values: list[str]) -> RefValue:
    return values[0] if len(values) == 1 else values


def _distinct(found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    out = []
    for at, name in found:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append((at, name))
    return out


def _own_versions(
    text: str, named: list[tuple[int, str]], versions: list[tuple[int, str]]
) -> list[str] | None:
    """The version written right after each service, or None unless every one has its own."""
    own = []
    for at, name in named:
        end = at + len(name)
        after = next(
            (v for v_at, v in versions if v_at >= end and _JOINS_VERSION.match(text[end:v_at])), None
        )
        if after is None:
            return None
        own.append(after)
    return own


def _services(
    text: str, low: str, versions: list[tuple[int, str]], services: KnownServices | None
) -> list[tuple[int, str]]:
    """The services named, in order of appearance: every known one, else those with their own version
    when there are several, else the one the position rules find."""
    known = _distinct(services.find(text)) if services is not None else []
    if known:
        return known
    named = named_with_versions(text, versions)
    paired = _distinct([(at, name) for at, name, _v in named])
    if len(paired) >= 2:
        return paired
    name = find_service(text, low, versions, named)
    return [(text.find(name), name)] if name else []


def extract_refs(text: str, kind: str, services: KnownServices | None = None) -> dict[str, RefValue]:
    """Generic refs for a message whose kind is already known (human or unknown-bot phrasing).

    `services` are the names the workspace knows: found anywhere in the line, before position rules."""
    refs: dict[str, RefValue] = {}
    low = text.lower()
    # Ids, versions and commits all contain a digit; most chat lines have none, so skip their
    # patterns outright (refs run on every captured message).
    has_digit = _DIGIT.search(text) is not None
    if has_digit:
        # Every id form has its punctuation: DEP-1, !12, #12.
        change = find_change_id(text) if ("-" in text or "!" in text or "#" in text) else None
        if change is None and kind in _VERSION_KINDS:
            m = HASH_NUM.search(text) if "#" in text else None
            change = m.group(0) if m else None
            if change is None:
                m = JOB_NUM.search(low)
                change = m.group(1) if m else None
        if change:
            refs["change_id"] = change
        tickets = find_tickets(text) if "-" in text else []
        if tickets:
            refs["ticket"] = _one_or_many(tickets)
    env = find_environment(text, low) if ENV_HINT.search(low) else None
    if env:
        refs["environment"] = env
    versions = find_versions(text) if has_digit and kind in _VERSION_KINDS else []
    if has_digit and kind in _VERSION_KINDS:
        refs.update(versions_for(text, kind, versions))
        commit = find_commit(text)
        if commit:
            refs["commit"] = commit
    named = [(at, name) for at, name in _services(text, low, versions, services) if name != env]
    if len(named) >= 2:
        own = _own_versions(text, named, versions)
        if own:
            refs["version"] = own
            refs.pop("from_version", None)
    if named:
        refs["service"] = _one_or_many([name for _, name in named])
    return refs


def _is_ref_value(value: object, text: str) -> TypeGuard[RefValue]:
    if isinstance(value, str):
        return bool(value) and value in text
    return (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) and v and v in text for v in value)
    )


def keep_substrings(refs: Mapping[str, object], text: str) -> dict[str, RefValue]:
    """Only contract keys whose value (or each of its values) is a non-empty string found verbatim in
    `text`; a list with any other member is dropped whole, since its order pairs it with another key."""
    return {key: value for key, value in refs.items() if key in REF_KEYS and _is_ref_value(value, text)}
