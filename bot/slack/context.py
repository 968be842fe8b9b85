"""What a listener learns about the request once, handed to the domain code as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ChannelRef:
    id: str
    name: str | None
    is_incident: bool


@dataclass(frozen=True, slots=True)
class CommandContext:
    channel_id: str
    channel_name: str | None
    user_id: str
    user_name: str | None
    is_incident: bool
    incident_id: int | None
    now: datetime


@dataclass(frozen=True, slots=True)
class CommandReply:
    ephemeral: str
    public: str | None = None
    blocks: list[dict[str, Any]] | None = None
