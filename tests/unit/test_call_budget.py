"""The reactions budget: what Slack's Tier 3 allows is spent, the rest is skipped, and it refills."""

from __future__ import annotations

from bot.slack.gateway import REACTIONS_PER_MINUTE, CallBudget


def test_budget_spends_a_minute_of_calls_then_refills_at_slacks_rate() -> None:
    now = [1000.0]
    budget = CallBudget(REACTIONS_PER_MINUTE, clock=lambda: now[0])
    assert all(budget.take() for _ in range(REACTIONS_PER_MINUTE))
    assert not budget.take()
    now[0] += 60 / REACTIONS_PER_MINUTE * 0.9
    assert not budget.take()
    now[0] += 60 / REACTIONS_PER_MINUTE * 0.2
    assert budget.take()
    assert not budget.take()
    now[0] += 3600  # a quiet hour refills to the burst, no further
    assert sum(budget.take() for _ in range(2 * REACTIONS_PER_MINUTE)) == REACTIONS_PER_MINUTE
    assert budget.skipped == 2 + 1 + REACTIONS_PER_MINUTE
