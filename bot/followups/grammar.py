"""`/postmortem followup …` grammar: the text after `followup` → a command value, or UsageError.

Pure: no Slack, no database, no clock (`today` is passed in so "due:tomorrow" is testable).

    add <@user> <description> [due:YYYY-MM-DD|+Nd|+Nw|today|tomorrow] [priority:high|medium|low]
    list [mine]
    done <id>

Options are `key:value` words. `due:` and `priority:` are recognised anywhere after the owner; any
other `word:value` at the *end* of the text is reported as an unknown option (a typo such as
`prio:high` must not silently become part of the description), while one in the middle stays text
("fix the cache: stale keys" or a URL are descriptions, not options).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.domain import Priority

USAGE = (
    "Usage:\n"
    "• `/postmortem followup add @user <description> [due:YYYY-MM-DD|+3d|tomorrow]"
    " [priority:high|medium|low]`\n"
    "• `/postmortem followup list` — this incident's follow-ups\n"
    "• `/postmortem followup list mine` — your open follow-ups across incidents\n"
    "• `/postmortem followup done <id>`"
)

PRIORITIES: tuple[Priority, ...] = ("high", "medium", "low")

# Slack escapes mentions as <@U123|name> (should_escape) or <@U123>; W… ids are Enterprise Grid users.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_OPTION = re.compile(r"^([A-Za-z][A-Za-z_-]*):(\S*)$")
_RELATIVE = re.compile(r"^\+(\d{1,4})([dw])$")
_ID = re.compile(r"^#?(\d{1,12})$")
KNOWN_OPTIONS = ("due", "priority")


class UsageError(ValueError):
    """A malformed command: `reason` is one line; str() is the reason followed by the usage text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = USAGE

    def __str__(self) -> str:
        return f"{self.reason}\n{self.usage}"


@dataclass(frozen=True, slots=True)
class AddCommand:
    owner_id: str
    owner_name: str | None
    description: str
    due: date | None = None
    priority: Priority = "medium"
    due_in_past: bool = False  # allowed, but the reply says so


@dataclass(frozen=True, slots=True)
class ListCommand:
    mine: bool = False


@dataclass(frozen=True, slots=True)
class DoneCommand:
    item_id: int


Command = AddCommand | ListCommand | DoneCommand
Subcommand = Literal["add", "list", "done"]


def parse(text: str, today: date) -> Command:
    words = text.split()
    if not words:
        raise UsageError("Missing subcommand: say `add`, `list` or `done`.")
    sub, rest = words[0].lower(), words[1:]
    if sub == "add":
        return _parse_add(rest, today)
    if sub == "list":
        if not rest:
            return ListCommand(mine=False)
        if len(rest) == 1 and rest[0].lower() == "mine":
            return ListCommand(mine=True)
        raise UsageError(f"`list` takes nothing or `mine`, not `{' '.join(rest)}`.")
    if sub == "done":
        if len(rest) != 1:
            raise UsageError("`done` needs exactly one follow-up id, e.g. `done 12`.")
        return DoneCommand(item_id=parse_id(rest[0]))
    raise UsageError(f"Unknown followup subcommand `{words[0]}`.")


def parse_id(word: str) -> int:
    m = _ID.match(word.strip())
    if not m or int(m.group(1)) <= 0:
        raise UsageError(f"`{word}` is not a follow-up id (ids are numbers, as shown by `followup list`).")
    return int(m.group(1))


def parse_mention(word: str) -> tuple[str, str | None] | None:
    m = _MENTION.match(word)
    if not m:
        return None
    return m.group(1), (m.group(2) or None)


def _parse_add(words: list[str], today: date) -> AddCommand:
    if not words:
        raise UsageError("`add` needs an owner (@mention) and a description.")
    owner = parse_mention(words[0])
    if owner is None:
        if words[0].startswith("@") or words[0].startswith("<"):
            raise UsageError(
                f"`{words[0]}` is not a Slack user mention; pick the owner with @ so it autocompletes."
            )
        raise UsageError("The first word after `add` must be the owner, as an @mention.")
    options: dict[str, str] = {}
    description: list[str] = []
    # Trailing `word:value` words are options (known or not); earlier ones only if known.
    trailing = len(words)
    while trailing > 1 and _is_trailing_option(words[trailing - 1]):
        trailing -= 1
    for i, word in enumerate(words[1:], start=1):
        m = _OPTION.match(word)
        key = m.group(1).lower() if m else ""
        if m and (key in KNOWN_OPTIONS or i >= trailing):
            if key not in KNOWN_OPTIONS:
                raise UsageError(f"Unknown option `{m.group(1)}:` (options are `due:` and `priority:`).")
            if key in options:
                raise UsageError(f"`{key}:` given twice.")
            if not m.group(2):
                raise UsageError(f"`{key}:` needs a value.")
            options[key] = m.group(2)
        else:
            description.append(word)
    text = " ".join(description).strip()
    if not text:
        raise UsageError("The follow-up needs a description after the owner.")
    due = parse_due(options["due"], today) if "due" in options else None
    priority = parse_priority(options["priority"]) if "priority" in options else "medium"
    return AddCommand(
        owner_id=owner[0],
        owner_name=owner[1],
        description=text,
        due=due,
        priority=priority,
        due_in_past=due is not None and due < today,
    )


def _is_trailing_option(word: str) -> bool:
    m = _OPTION.match(word)
    if not m or "://" in word:
        return False
    # "…the problem:" ends a sentence; only `key:value` or a bare known key counts as an option.
    return bool(m.group(2)) or m.group(1).lower() in KNOWN_OPTIONS


def parse_due(value: str, today: date) -> date:
    v = value.strip().lower()
    if v == "today":
        return today
    if v == "tomorrow":
        return today + timedelta(days=1)
    m = _RELATIVE.match(v)
    if m:
        n = int(m.group(1))
        return today + timedelta(days=n * (7 if m.group(2) == "w" else 1))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise UsageError(f"`due:{value}` is not a date: use YYYY-MM-DD, +3d, +2w, today or tomorrow.")


def parse_priority(value: str) -> Priority:
    v = value.strip().lower()
    if v in PRIORITIES:
        return v  # type: ignore[return-value]
    raise UsageError(f"`priority:{value}` is not a priority: use high, medium or low.")
