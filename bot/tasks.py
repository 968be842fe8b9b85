"""Work that runs after Slack has had its answer (user names, reactions, drafts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

# Set inside every spawned task: Slack has had its answer, so a rate-limited call may wait and retry.
_BACKGROUND: ContextVar[bool] = ContextVar("scribe_background", default=False)


def in_background() -> bool:
    """True in work that runs after the ack (spawned tasks, the canvas updater); False on the
    request path, where Slack waits at most 3 s for the answer."""
    return _BACKGROUND.get()


async def as_background(coro: Coroutine[Any, Any, Any]) -> Any:
    _BACKGROUND.set(True)  # the task runs in its own copy of the context: the caller is unaffected
    return await coro


class BackgroundTasks:
    """Keeps strong references to fire-and-forget tasks (asyncio only holds weak ones) and lets
    shutdown and tests wait until the bot is idle."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(as_background(coro), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        # A task cancelled before its first step (a shutdown right after the spawn) never starts
        # `coro`: close it, or Python warns that it was never awaited.
        task.add_done_callback(lambda done: coro.close() if done.cancelled() else None)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def idle(self, timeout: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - loop.time()))

    async def close(self, timeout: float = 10.0) -> None:
        await self.idle(timeout)
        cancelled = list(self._tasks)
        for task in cancelled:
            task.cancel()
        if cancelled:  # their `finally` blocks run before the database and Slack session close
            await asyncio.wait(cancelled)
