"""Slack's rate tiers for conversations.history / conversations.replies, switched on per simulator.

Slack (api.slack.com/apis/rate-limits, changelog 2025-05-29): apps not approved for the Marketplace
get 1 call a minute per method and at most 15 messages a page (`limit` default and maximum 15);
internal customer-built apps keep Tier 3 (50+ calls a minute) and pages of up to 999 (history) or
1000 (replies). Past the rate, Slack answers HTTP 429 with `Retry-After` in whole seconds.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

HISTORY_METHODS = ("conversations.history", "conversations.replies")


@dataclass(frozen=True, slots=True)
class HistoryTier:
    name: str
    calls_per_minute: int
    history_default: int
    history_max: int
    replies_default: int
    replies_max: int

    def page(self, method: str) -> tuple[int, int]:
        """(default, maximum) `limit` of a page."""
        if method == "conversations.history":
            return self.history_default, self.history_max
        return self.replies_default, self.replies_max


INTERNAL_APP = HistoryTier("internal app (Tier 3)", 50, 100, 999, 1000, 1000)
NON_MARKETPLACE = HistoryTier("non-Marketplace app (2025 limit)", 1, 15, 15, 15, 15)


class MinuteWindow:
    """Calls admitted per method in the last 60 s of the simulator's clock."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: dict[str, deque[float]] = {}

    def admit(self, method: str, now: float) -> int | None:
        """None when the call is allowed (and counted), else the Retry-After seconds."""
        calls = self._calls.setdefault(method, deque())
        while calls and calls[0] <= now - 60.0:
            calls.popleft()
        if len(calls) >= self.per_minute:
            return max(1, math.ceil(calls[0] + 60.0 - now))
        calls.append(now)
        return None
