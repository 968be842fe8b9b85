"""A small decorator registry of integration parsers (the monzo/response `@keyword_handler` shape).

Each integration module registers one function that looks at a flattened message and either
recognises its tool's real message format - returning kind, refs and the tool's name - or returns
None. Adding a tool is one new module and one import in `__init__.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Message:
    text: str  # flattened, Slack markup resolved, bounded in length
    lower: str
    first_line: str
    bot_name: str  # lower-cased, "" when unknown
    is_bot: bool


@dataclass(frozen=True, slots=True)
class Match:
    kind: str
    source: str
    refs: dict[str, str] = field(default_factory=dict)


Parser = Callable[[Message], Match | None]
_PARSERS: list[tuple[str, Parser]] = []
_ORDER: dict[str, int] = {}


def integration(name: str, order: int) -> Callable[[Parser], Parser]:
    """Register a parser. Lower `order` is tried first: formats that are a refinement of another
    (Grafana's title is Alertmanager's) must come before the format they refine."""

    def register(fn: Parser) -> Parser:
        _PARSERS.append((name, fn))
        _ORDER[name] = order
        _PARSERS.sort(key=lambda entry: _ORDER[entry[0]])
        return fn

    return register


def recognise(message: Message, only: frozenset[str] | None = None) -> Match | None:
    """First parser that recognises the message; `only` limits the parsers tried by name."""
    for parser in _selected(only):
        found = parser(message)
        if found is not None:
            return found
    return None


_SELECTED: dict[tuple[int, frozenset[str] | None], tuple[Parser, ...]] = {}


def _selected(only: frozenset[str] | None) -> tuple[Parser, ...]:
    # Every message asks; filtering the registry by name each time costs more than some parsers.
    key = (len(_PARSERS), only)
    parsers = _SELECTED.get(key)
    if parsers is None:
        parsers = tuple(parser for name, parser in _PARSERS if only is None or name in only)
        _SELECTED[key] = parsers
    return parsers


def names() -> list[str]:
    return [name for name, _ in _PARSERS]


def clean(refs: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in refs.items() if v}
