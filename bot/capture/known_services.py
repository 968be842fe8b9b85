"""The service names each workspace knows, as the capture path uses them: a per-process cache of the
stored catalogue (storage/services.py) plus SCRIBE_SERVICES, and the learning of new names.

The event path is hot (docs/architecture.md, group commit): after the first event of a workspace,
`catalogue()` answers from memory and refreshes in the background every REFRESH, so a name learned on
another replica is seen within that time; `learn()` adds new names to memory at once and stores them
in the background, so a capture costs no extra database round trip.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.capture.catalogue import ServiceCatalogue
from bot.tasks import BackgroundTasks
from storage import services as service_store
from storage.db import Database

log = logging.getLogger(__name__)

REFRESH = timedelta(seconds=30)

_INCIDENT_PREFIX = re.compile(r"^inc(?:ident)?[-_]+", re.I)
# Words incident channels are named with that say what went wrong, not what it happened to.
_NOT_A_SERVICE = frozenset(
    """down outage outages error errors latency slow slowness degraded degradation incident inc issue
    issues failure failures failing broken spike spikes high cpu memory oom timeout timeouts 5xx 500
    500s 502 503 504 deploy deploys rollback hotfix war room bridge sev sev1 sev2 sev3 sev4 sev5 p0 p1
    p2 p3 p4 prod production staging major minor partial leak crash crashes crashing alert alerts
    page""".split()
)
_TOKEN_OK = re.compile(r"^[a-z][a-z0-9]*$")


def channel_service(channel_name: str | None) -> str | None:
    """The service an incident channel is named after: `inc-2025-12-02-api-gateway-5xx` → `api-gateway`,
    `incident-db-outage` → `db`; None when the name holds only ids, dates and symptom words."""
    if not channel_name:
        return None
    rest = _INCIDENT_PREFIX.sub("", channel_name.strip().lstrip("#").lower())
    tokens = [t for t in re.split(r"[-_]+", rest) if t]
    while tokens and not _TOKEN_OK.match(tokens[0]):
        tokens.pop(0)  # ids and dates
    while tokens and (tokens[-1] in _NOT_A_SERVICE or not _TOKEN_OK.match(tokens[-1])):
        tokens.pop()
    if not tokens or any(not _TOKEN_OK.match(t) or t in _NOT_A_SERVICE for t in tokens):
        return None
    name = "-".join(tokens)
    return name if 2 <= len(name) <= service_store.NAME_MAX else None


def learnable(values: Mapping[str, Any]) -> tuple[str, ...]:
    """Services an entry teaches: those an integration's own message names (a person's free text is
    not trusted to name a service)."""
    if not values.get("source"):
        return ()
    found = (values.get("refs") or {}).get("service")
    if not found:
        return ()
    return (found,) if isinstance(found, str) else tuple(found)


@dataclass
class _Team:
    names: set[str] = field(default_factory=set)
    catalogue: ServiceCatalogue = field(default_factory=ServiceCatalogue)
    loaded_at: datetime | None = None
    refreshing: bool = False
    channels: set[str] = field(default_factory=set)  # channel ids whose names were looked at


class KnownServices:
    def __init__(
        self,
        db: Database,
        configured: Iterable[str],
        *,
        clock: Callable[[], datetime],
        tasks: BackgroundTasks,
        refresh: timedelta = REFRESH,
    ) -> None:
        self.db, self.clock, self.tasks, self.refresh = db, clock, tasks, refresh
        self.configured = frozenset(n.strip().lower() for n in configured if n.strip())
        self._teams: dict[str, _Team] = {}

    async def catalogue(self, team_id: str) -> ServiceCatalogue:
        team = self._teams.setdefault(team_id, _Team())
        if team.loaded_at is None:
            await self._load(team_id, team)  # once per workspace and process
        elif not team.refreshing and self.clock() - team.loaded_at >= self.refresh:
            team.refreshing = True
            self.tasks.spawn(self._load(team_id, team), name=f"service catalogue {team_id}")
        return team.catalogue

    def learn(self, team_id: str, names: Iterable[str], *, source: str) -> None:
        team = self._teams.setdefault(team_id, _Team())
        new = [n for n in dict.fromkeys(x.strip().lower() for x in names) if n and n not in team.names]
        new = [n for n in new if n not in self.configured and len(n) <= service_store.NAME_MAX]
        if not new:
            return
        team.names.update(new)
        self._rebuild(team)
        self.tasks.spawn(self._store(team_id, new, source), name=f"learn services {team_id}")

    def learn_channel(self, team_id: str, channel_id: str, channel_name: str | None) -> None:
        """Learn the service an incident channel is named after, once per channel and process."""
        team = self._teams.setdefault(team_id, _Team())
        if channel_id in team.channels:
            return
        team.channels.add(channel_id)
        if name := channel_service(channel_name):
            self.learn(team_id, [name], source="channel")

    def _rebuild(self, team: _Team) -> None:
        team.catalogue = ServiceCatalogue.of(self.configured | team.names)

    async def _load(self, team_id: str, team: _Team) -> None:
        try:
            async with self.db.session() as session:
                stored = await service_store.names(session, team_id)
        except Exception:  # a stale catalogue only costs recall; the capture must go on
            log.warning("could not read the service catalogue of %s", team_id, exc_info=True)
            stored = []
        finally:
            team.refreshing = False
            team.loaded_at = self.clock()
        team.names.update(stored)
        self._rebuild(team)

    async def _store(self, team_id: str, names: list[str], source: str) -> None:
        async with self.db.transaction() as session:
            await service_store.learn(session, team_id, names, source=source, now=self.clock())
