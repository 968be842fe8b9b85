"""Channel canvases as Slack's Web API has them (conversations.canvases.create, canvases.edit,
canvases.sections.lookup, canvases.delete), plus pins.add, for the simulator.

A canvas is a list of sections, one per element of its Markdown: each heading, each list item or
paragraph line is a section with its own id (`temp:C:…`), which is what lookups return and edits
target. Slack applies exactly one operation per canvases.edit call and documents no way to read the
document back through the API; tests read it here (`markdown`).

Faults a test can switch on: `refuse_creation(error)` (a workspace without channel canvases) and
`tier3_limit(per_minute)` (canvases.edit answering 429 + Retry-After past the allowance).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.simulator.state import SlackApiError, WorkspaceState

MAX_MARKDOWN = 1_048_576  # "The markdown content is limited to 1 MiB (1,048,576 characters)"
OPERATIONS = frozenset(
    {"insert_after", "insert_before", "insert_at_start", "insert_at_end", "replace", "delete"}
)
SECTION_TYPES = frozenset({"h1", "h2", "h3", "any_header"})
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_MARKUP = re.compile(r"[*_`~]|!\[\]\(@?[^)]*\)|\[([^\]]*)\]\([^)]*\)")


@dataclass
class Section:
    id: str
    type: str  # h1 | h2 | h3 | text
    markdown: str

    @property
    def text(self) -> str:
        """Roughly what a reader sees: markup gone, list markers dropped."""
        plain = self.markdown.lstrip("#").strip()
        plain = re.sub(r"^(?:[-*]|\d+\.)\s+(?:\[[ x]\]\s+)?", "", plain)
        return _MARKUP.sub(lambda m: m.group(1) or "", plain)


@dataclass
class Canvas:
    id: str
    channel_id: str | None
    title: str
    sections: list[Section] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return "\n".join(s.markdown for s in self.sections)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("ratelimited")
        self.retry_after = retry_after


class CanvasWorkspace:
    def __init__(self, state: WorkspaceState, clock: Callable[[], float]) -> None:
        self.state = state
        self.clock = clock
        self.canvases: dict[str, Canvas] = {}
        self.channel_canvas: dict[str, str] = {}  # channel id → canvas id
        self.pins: dict[str, list[str]] = {}  # channel id → pinned message ts
        self.refusal: str | None = None
        self.edit_limit: int | None = None  # canvases.edit calls a minute before 429 (None: off)
        self._edits: list[float] = []

    # -- switches --------------------------------------------------------------------------------
    def refuse_creation(self, error: str | None) -> None:
        self.refusal = error

    def tier3_limit(self, per_minute: int | None) -> None:
        self.edit_limit = per_minute
        self._edits.clear()

    def canvas_of(self, channel_id: str) -> Canvas | None:
        canvas_id = self.channel_canvas.get(channel_id)
        return self.canvases.get(canvas_id) if canvas_id else None

    def handlers(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "conversations.canvases.create": self._create,
            "canvases.edit": self._edit,
            "canvases.sections.lookup": self._lookup,
            "canvases.delete": self._delete,
            "pins.add": self._pins_add,
        }

    def channel_properties(self, channel_id: str) -> dict[str, Any]:
        """What conversations.info adds under `properties` for a channel with a canvas."""
        canvas = self.canvas_of(channel_id)
        if canvas is None:
            return {}
        return {"canvas": {"file_id": canvas.id, "is_empty": not canvas.sections}}

    # -- parsing ------------------------------------------------------------------------------------
    def _parse(self, markdown: str) -> list[Section]:
        sections = []
        for line in markdown.splitlines():
            if not line.strip():
                continue
            m = _HEADING.match(line.strip())
            kind = f"h{len(m.group(1))}" if m else "text"
            sections.append(Section(f"temp:C:{secrets.token_hex(12).upper()}", kind, line.rstrip()))
        return sections

    @staticmethod
    def _content(change: dict[str, Any], required: bool) -> str | None:
        content = change.get("document_content")
        if content is None:
            if required:
                raise SlackApiError("canvas_editing_failed")
            return None
        if not isinstance(content, dict) or content.get("type") != "markdown" or "markdown" not in content:
            raise SlackApiError("invalid_arguments")
        markdown = str(content["markdown"])
        if len(markdown) > MAX_MARKDOWN:
            raise SlackApiError("canvas_editing_failed")
        return markdown

    # -- methods ------------------------------------------------------------------------------------
    async def _create(self, p: Any) -> dict[str, Any]:
        channel = self.state.channel(p.require("channel_id", "channel_not_found"), allow_name=False)
        if self.refusal:
            raise SlackApiError(self.refusal)
        if channel.id in self.channel_canvas:
            raise SlackApiError("channel_canvas_already_exists")
        content = p.json("document_content", "invalid_arguments")
        markdown = self._content({"document_content": content}, required=False) if content else ""
        title = str(p.get("title", ""))
        canvas = Canvas(self.state.new_id("F"), channel.id, title, self._parse(markdown or ""))
        self.canvases[canvas.id] = canvas
        self.channel_canvas[channel.id] = canvas.id
        return {"canvas_id": canvas.id}

    def _canvas(self, p: Any) -> Canvas:
        canvas = self.canvases.get(p.require("canvas_id", "canvas_not_found"))
        if canvas is None:
            raise SlackApiError("canvas_not_found")
        return canvas

    def _spend_edit(self) -> None:
        if self.edit_limit is None:
            return
        now = self.clock()
        self._edits = [t for t in self._edits if now - t < 60]
        if len(self._edits) >= self.edit_limit:
            raise RateLimited(max(1, int(60 - (now - self._edits[0])) + 1))
        self._edits.append(now)

    async def _edit(self, p: Any) -> dict[str, Any]:
        canvas = self._canvas(p)
        changes = p.json("changes", "invalid_arguments")
        if not isinstance(changes, list) or not changes:
            raise SlackApiError("invalid_arguments")
        if len(changes) != 1:  # "Only one operation per API call is currently supported."
            raise SlackApiError("canvas_editing_failed")
        self._spend_edit()
        change = changes[0]
        operation = change.get("operation") if isinstance(change, dict) else None
        if operation not in OPERATIONS:
            raise SlackApiError("invalid_arguments")
        section_id = change.get("section_id")
        index = None
        if section_id is not None:
            index = next((i for i, s in enumerate(canvas.sections) if s.id == section_id), None)
            if index is None:
                raise SlackApiError("canvas_editing_failed")
        elif operation in ("insert_after", "insert_before", "delete"):
            raise SlackApiError("canvas_editing_failed")
        new = self._parse(self._content(change, required=operation != "delete") or "")
        if operation == "insert_at_start":
            canvas.sections[0:0] = new
        elif operation == "insert_at_end":
            canvas.sections.extend(new)
        elif operation == "insert_after":
            assert index is not None
            canvas.sections[index + 1 : index + 1] = new
        elif operation == "insert_before":
            assert index is not None
            canvas.sections[index:index] = new
        elif operation == "replace":
            if index is None:
                canvas.sections = new  # no section_id: the whole document
            else:
                canvas.sections[index : index + 1] = new
        else:
            assert index is not None
            del canvas.sections[index]
        if len(canvas.markdown) > MAX_MARKDOWN:
            raise SlackApiError("canvas_editing_failed")
        return {}

    async def _lookup(self, p: Any) -> dict[str, Any]:
        canvas = self._canvas(p)
        criteria = p.json("criteria", "invalid_arguments")
        if not isinstance(criteria, dict):
            raise SlackApiError("invalid_arguments")
        types = criteria.get("section_types")
        text = criteria.get("contains_text")
        if types is None and text is None:
            raise SlackApiError("invalid_arguments")
        if types is not None and (
            not isinstance(types, list) or not 1 <= len(types) <= 3 or not set(types) <= SECTION_TYPES
        ):
            raise SlackApiError("invalid_arguments")
        found = []
        for s in canvas.sections:
            if types is not None:
                headers = s.type in ("h1", "h2", "h3")
                if not (s.type in types or ("any_header" in types and headers)):
                    continue
            if text is not None and str(text).lower() not in s.text.lower():
                continue
            found.append({"id": s.id})
        return {"sections": found}

    async def _delete(self, p: Any) -> dict[str, Any]:
        canvas = self._canvas(p)
        del self.canvases[canvas.id]
        if canvas.channel_id and self.channel_canvas.get(canvas.channel_id) == canvas.id:
            del self.channel_canvas[canvas.channel_id]
        return {}

    async def _pins_add(self, p: Any) -> dict[str, Any]:
        channel = self.state.channel(p.require("channel", "channel_not_found"), allow_name=False)
        ts = p.require("timestamp", "no_item_specified")
        self.state.raw_message(channel, ts)
        pinned = self.pins.setdefault(channel.id, [])
        if ts in pinned:
            raise SlackApiError("already_pinned")
        pinned.append(ts)
        return {}
