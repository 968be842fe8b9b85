"""The services a workspace knows, and where their names occur in a line. Pure: built from names
that storage keeps (SCRIBE_SERVICES, learned from integrations, channel names, earlier entries).

A known name is recognised wherever a responder writes it - subject, object, "of X", possessive, any
case - and so are the usual variants of it: `checkout` and `checkout-api`, `checkout_svc`,
`checkout-service`, `Checkout API` name one service, each reported as written in the line. A name
inside a larger identifier (`payments-deploy-prod`, `checkout-api-7c9f8d6b5-x2lqp`, a host
`checkout.internal`) is not a mention of it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.capture.refs.services import is_service_name
from bot.domain import RefValue

# Suffixes that name the same service ("checkout-api" is checkout's API, so checkout). Not "server",
# "worker" or "db": `billing-worker` and `ledger-db` are services of their own.
_VARIANT_SUFFIXES = ("api", "svc", "srv", "service")
_SEPARATORS = re.compile(r"[\s_-]+")
# A word of a line, with its inner dashes and underscores (checkout-api, orders_svc).
_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ɏ][0-9A-Za-zÀ-ÖØ-öø-ɏ_-]*")
_MAX_WORDS = 3  # "Payments Webhooks API": the longest multi-word name looked up
_MAX_MENTIONS = 64
# The pieces of a lower-cased line, split at dashes and underscores too: a cheap test of which known
# names may occur at all (most lines name none).
_PIECE = re.compile(r"[0-9a-zà-öø-ɏ]+")


def _key(name: str) -> str:
    """One spelling for every way of writing a name: lower-case, parts joined by dashes."""
    return _SEPARATORS.sub("-", name.strip().lower()).strip("-")


def _stem(key: str) -> str:
    for suffix in _VARIANT_SUFFIXES:
        if key.endswith("-" + suffix) and len(key) > len(suffix) + 1:
            return key[: -len(suffix) - 1]
    return key


def _prefixes(stems: Iterable[str]) -> frozenset[str]:
    """The first parts of multi-part names ("payments" of "payments-webhooks"): keep reading words."""
    out = set()
    for stem in stems:
        parts = stem.split("-")
        out.update("-".join(parts[:n]) for n in range(1, len(parts)))
    return frozenset(out)


@functools.lru_cache(maxsize=256)
def _starts(firsts: frozenset[str]) -> re.Pattern[str]:
    """Where a word begins with one of `firsts` (the first parts of known names present in a line)."""
    alternatives = "|".join(re.escape(f) for f in sorted(firsts, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![^\W_])", re.I)


@dataclass(frozen=True)
class ServiceCatalogue:
    names: frozenset[str] = frozenset()
    _stems: frozenset[str] = frozenset()
    _prefixes: frozenset[str] = frozenset()
    _firsts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, names: Iterable[str]) -> ServiceCatalogue:
        known = frozenset(n.strip().lower() for n in names if n and n.strip())
        stems = frozenset(_stem(_key(n)) for n in known)
        return cls(known, stems, _prefixes(stems), frozenset(s.split("-", 1)[0] for s in stems))

    def with_names(self, names: Iterable[str]) -> ServiceCatalogue:
        """This catalogue and `names` together."""
        return ServiceCatalogue.of([*self.names, *names])

    def _knows(self, key: str) -> bool:
        return _stem(key) in self._stems

    def find(self, text: str) -> list[tuple[int, str]]:
        """Known names in `text` as written, with their offsets, in order of appearance (the first
        `_MAX_MENTIONS`: a line naming more is no line about a service, and the scan stays bounded)."""
        present = self._firsts.intersection(_PIECE.findall(text.lower())) if self._firsts else None
        if not present:
            return []
        found: list[tuple[int, str]] = []
        taken_to = 0
        for m in itertools.islice(_starts(frozenset(present)).finditer(text), _MAX_MENTIONS):
            if m.start() < taken_to:
                continue
            end = self._name_end(text, m.start())
            if end:
                found.append((m.start(), text[m.start() : end].rstrip("-_")))
                taken_to = end
        return found

    def _name_end(self, text: str, start: int) -> int:
        """Where the longest known name written from `start` ends, standing on its own (0: none)."""
        if start and text[start - 1] in ".@#&$%":
            return 0  # a host's or address's part, a channel, an entity
        end = 0
        key = ""
        word = _WORD.match(text, start)
        for n in range(_MAX_WORDS):
            if word is None:
                break
            part = word.group(0).lower().replace("_", "-").strip("-")
            key = f"{key}-{part}" if n else part
            known = self._knows(key)
            if known and _stands_alone(text, word.end()):
                end = word.end()
            if not known and key not in self._prefixes:
                break
            gap = 2 if text.startswith("  ", word.end()) else 1 if text.startswith(" ", word.end()) else 0
            word = _WORD.match(text, word.end() + gap) if gap else None
        return end


def _stands_alone(text: str, end: int) -> bool:
    """Not continued as a host, file or larger identifier: `checkout.internal`, `checkout/v2/…` are
    fine as paths only when the name is the last part (`shop/checkout`)."""
    after = text[end : end + 2]
    return not (after[:1] == "." and after[1:2].isalnum()) and after[:1] not in ("@", "/")


# What a line of SCRIBE_SERVICES may hold: a name, possibly of several words ("Payments Webhooks").
_SETTING_NAME = re.compile(r"[A-Za-z0-9][\w .-]{0,62}")


def names_from_setting(value: str) -> list[str]:
    """SCRIBE_SERVICES: comma-separated names, each once, in order. ValueError names a bad entry."""
    names: dict[str, str] = {}
    for raw in value.split(","):
        name = raw.strip()
        if not name:
            continue
        if not _SETTING_NAME.fullmatch(name):
            raise ValueError(f"SCRIBE_SERVICES: {name!r} is not a service name")
        names.setdefault(name.lower(), name)
    return list(names.values())


def names_from_refs(refs: Mapping[str, RefValue]) -> list[str]:
    """The services an integration's own parser named (its Classification's refs), each once."""
    value = refs.get("service")
    values = [value] if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(v for v in values if v and is_service_name(v)))


# Parts of an incident channel's name that are never a service: the incident prefix, severities,
# symptoms, places and time words. "inc-2231-checkout-latency" leaves "checkout".
_CHANNEL_NOISE = frozenset(
    (
        "inc incident incidents ir sev sev0 sev1 sev2 sev3 sev4 sev5 p0 p1 p2 p3 p4 major minor critical "
        "latency slow slowness errors error 5xx 4xx 500s 502s 503s outage down degraded degradation partial "
        "timeout timeouts failure failures failing failed broken issue issues problem spike high elevated "
        "cpu memory disk oom leak lag backlog stuck crash crashloop crashes restarts dns tls ssl cert expiry "
        "expired certificate migration rollback deploy deployment release hotfix config data loss "
        "prod production staging stage dev test qa uat eu us ap emea apac east west north south central "
        "global region zone the and of on in for with from to at a an"
    ).split()
)
_CHANNEL_PART_OK = re.compile(r"[a-z][a-z0-9]{2,30}")


def names_from_channel(channel_name: str) -> list[str]:
    """At most one service from an incident channel's name, and only a plausible one.

    The rule is conservative because a wrong name would be reported on every later line: the parts
    left after dropping the incident prefix, numbers and dates, severities, symptoms, environments and
    regions (`_CHANNEL_NOISE`) form runs; only the first run is a candidate, and only when it is one
    or two parts, each a word of at least three characters starting with a letter, and it then passes
    the same service-name test as a name found in a message. `inc-2231-checkout-latency` gives
    `checkout`, `inc-checkout-api-5xx` gives `checkout-api`, `incident-db-migration-stuck` nothing.
    """
    parts = [p for p in re.split(r"[-_.]+", channel_name.lower()) if p]
    runs: list[list[str]] = [[]]
    for part in parts:
        if part in _CHANNEL_NOISE or part[0].isdigit():
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(part)
    first = next((run for run in runs if run), [])
    if not 1 <= len(first) <= 2 or not all(_CHANNEL_PART_OK.fullmatch(p) for p in first):
        return []
    name = "-".join(first)
    return [name] if is_service_name(name) else []
