"""The services a workspace knows, and where their names occur in a line. Pure: built from names
that storage keeps (SCRIBE_SERVICES, learned from integrations, channel names, earlier entries)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceCatalogue:
    names: frozenset[str] = frozenset()
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, names: Iterable[str]) -> ServiceCatalogue:
        known = frozenset(n.strip().lower() for n in names if n and n.strip())
        if not known:
            return cls()
        alternatives = "|".join(re.escape(n) for n in sorted(known, key=len, reverse=True))
        return cls(known, re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-])", re.I))

    def find(self, text: str) -> list[tuple[int, str]]:
        """Known names in `text` as written, with their offsets, in order of appearance."""
        if self._pattern is None:
            return []
        return [(m.start(), m.group(0)) for m in self._pattern.finditer(text)]
