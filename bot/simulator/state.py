"""In-memory state of the simulated Slack workspace.

Pure data and methods: no HTTP, no asyncio. Messages are stored in the shape Slack's Web API returns
them (`conversations.history`), so handlers can hand out copies without translating. Slack's errors are
raised as `SlackApiError(code)`; the server turns them into `{"ok": false, "error": code}`.
"""

from __future__ import annotations

import copy
import mimetypes
import re
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

# Slack's documented limits (chat.postMessage, Block Kit reference).
MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_ID = 255
BLOCK_TYPES = frozenset(
    {
        "actions", "context", "divider", "file", "header", "image", "input", "markdown",
        "rich_text", "section", "video", "table", "context_actions",
    }
)  # fmt: skip


class SlackApiError(Exception):
    """A Slack Web API error code, plus any extra top-level response fields Slack sends with it."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class User:
    id: str
    name: str
    team_id: str
    real_name: str
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    tz: str = "UTC"
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        offset = ZoneInfo(self.tz).utcoffset(datetime.now(UTC).replace(tzinfo=None))
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "team": self.team_id,
            "image_48": f"https://avatars.example.invalid/{self.id}_48.png",
        }
        if self.bot_id:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id or ""
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }


@dataclass
class Channel:
    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    im_user: str | None = None  # set for direct-message conversations (ids starting with D)
    topic: str = ""
    purpose: str = ""

    @property
    def is_im(self) -> bool:
        return self.im_user is not None

    @property
    def event_channel_type(self) -> str:
        """`channel_type` of message events: channel, group or im."""
        if self.is_im:
            return "im"
        return "group" if self.is_private else "channel"

    def to_api(self, *, viewer: str, team_id: str, num_members: bool = False) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": team_id,
            "updated": self.created * 1000,
            "creator": self.creator,
            "is_member": viewer in self.members,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if num_members:
            data["num_members"] = len(self.members)
        return data


@dataclass
class StoredFile:
    id: str
    name: str
    title: str
    length: int
    user: str
    created: int
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None  # None until the upload URL received the bytes
    shares: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel id -> share entries

    def to_api(self, *, base_url: str, domain: str, channels: dict[str, Channel]) -> dict[str, Any]:
        ext = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""
        filetype = {"md": "markdown", "txt": "text", "json": "json", "csv": "csv"}.get(ext, ext or "binary")
        mimetype = mimetypes.guess_type(self.name)[0] or "application/octet-stream"
        if filetype == "markdown":
            mimetype = "text/plain"  # what Slack reports for .md uploads
        public = {
            c: s for c, s in self.shares.items() if not channels[c].is_private and not channels[c].is_im
        }
        private = {c: s for c, s in self.shares.items() if channels[c].is_private}
        shares: dict[str, Any] = {}
        if public:
            shares["public"] = public
        if private:
            shares["private"] = private
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.capitalize(),
            "user": self.user,
            "editable": filetype in {"markdown", "text"},
            "size": len(self.content) if self.content is not None else self.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(public),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base_url}/files/{self.id}/{self.name}",
            "url_private_download": f"{base_url}/files/{self.id}/download/{self.name}",
            "permalink": f"https://{domain}.slack.com/files/{self.user}/{self.id}/{self.name}",
            "permalink_public": f"https://slack-files.com/{self.id}",
            "alt_txt": self.alt_txt,
            "has_rich_preview": False,
            "file_access": "visible",
            "comments_count": 0,
            "channels": sorted(public),
            "groups": sorted(private),
            "ims": sorted(c for c in self.shares if channels[c].is_im),
            "shares": shares,
        }


def ts_key(ts: str) -> tuple[int, int]:
    sec, _, frac = ts.partition(".")
    return int(sec), int(frac or 0)


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


_TS_RE = re.compile(r"^\d{1,12}\.\d{6}$")
_MENTION_RE = re.compile(r"<(@[UW][A-Z0-9]+|#C[A-Z0-9]+(?:\|[^>]*)?|https?://[^>|]+(?:\|[^>]*)?)>")


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The rich_text block a Slack client attaches to a typed message (mentions and links as elements)."""
    elements: list[dict[str, Any]] = []
    pos = 0
    for m in _MENTION_RE.finditer(text):
        if m.start() > pos:
            elements.append({"type": "text", "text": text[pos : m.start()]})
        token = m.group(1)
        if token.startswith("@"):
            elements.append({"type": "user", "user_id": token[1:]})
        elif token.startswith("#"):
            elements.append({"type": "channel", "channel_id": token[1:].split("|", 1)[0]})
        else:
            url, _, label = token.partition("|")
            link: dict[str, Any] = {"type": "link", "url": url}
            if label:
                link["text"] = label
            elements.append(link)
        pos = m.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    return [
        {
            "type": "rich_text",
            "block_id": f"b{zlib.crc32(text.encode()) % 100_000:05d}",
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


_SLACK_TOKEN_RE = re.compile(r"(<[@#!][^>]*>|<https?://[^>]*>)")
_BARE_MENTION_RE = re.compile(r"(?<![\w&])([@#])([\w\-]+(?:\.[\w\-]+)*)")
_BARE_URL_RE = re.compile(r"https?://[^\s<>]+")


def escape_command_text(
    text: str, user_id_for: Callable[[str], str | None], channel_id_for: Callable[[str], str | None]
) -> str:
    """Slash command text as Slack sends it with `should_escape: true`: `&<>` as entities, known
    `@user`/`#channel` as `<@U…|name>`/`<#C…|name>`, bare URLs as `<url>`. Tokens already in Slack's
    `<…>` form pass through untouched."""
    out: list[str] = []
    for i, piece in enumerate(_SLACK_TOKEN_RE.split(text)):
        if i % 2:
            out.append(piece)
            continue
        piece = piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        piece = _BARE_URL_RE.sub(lambda m: f"<{m.group(0)}>", piece)

        def mention(m: re.Match[str]) -> str:
            sigil, name = m.group(1), m.group(2)
            found = user_id_for(name) if sigil == "@" else channel_id_for(name)
            return f"<{sigil}{found}|{name}>" if found else m.group(0)

        out.append(_BARE_MENTION_RE.sub(mention, piece))
    return "".join(out)


def _text_len(obj: Any) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def validate_blocks(blocks: Any) -> None:
    """Reject what Slack rejects: malformed block lists, more than 50 blocks, over-long texts."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
        raise SlackApiError("invalid_blocks_format")
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}"
        kind = block["type"]
        if kind not in BLOCK_TYPES:
            problems.append(f"[ERROR] unsupported type: {kind} {where}/type]")
        if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
            problems.append(f"[ERROR] must be less than {MAX_BLOCK_ID + 1} characters {where}/block_id]")
        if kind == "section":
            if _text_len(block.get("text")) > MAX_SECTION_TEXT:
                problems.append(
                    f"[ERROR] must be less than {MAX_SECTION_TEXT + 1} characters {where}/text/text]"
                )
            fields = block.get("fields") or []
            if len(fields) > MAX_SECTION_FIELDS:
                problems.append(f"[ERROR] no more than {MAX_SECTION_FIELDS} items allowed {where}/fields]")
            if any(_text_len(f) > MAX_FIELD_TEXT for f in fields):
                problems.append(f"[ERROR] must be less than {MAX_FIELD_TEXT + 1} characters {where}/fields]")
            if "text" not in block and not fields:
                problems.append(f"[ERROR] must provide text or fields {where}]")
        elif kind == "header" and _text_len(block.get("text")) > MAX_HEADER_TEXT:
            problems.append(f"[ERROR] must be less than {MAX_HEADER_TEXT + 1} characters {where}/text/text]")
        elif kind == "actions" and len(block.get("elements") or []) > MAX_ACTIONS_ELEMENTS:
            problems.append(f"[ERROR] no more than {MAX_ACTIONS_ELEMENTS} items allowed {where}/elements]")
        elif kind == "context" and len(block.get("elements") or []) > MAX_CONTEXT_ELEMENTS:
            problems.append(f"[ERROR] no more than {MAX_CONTEXT_ELEMENTS} items allowed {where}/elements]")
    if problems:
        raise SlackApiError("invalid_blocks", response_metadata={"messages": problems})


def validate_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_TEXT:
        raise SlackApiError("msg_too_long")


class WorkspaceState:
    """One Slack workspace: its users, conversations, messages, ephemeral messages and files."""

    def __init__(
        self,
        *,
        team_id: str,
        team_name: str = "Simulated Workspace",
        domain: str = "sim-workspace",
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        bot_name: str = "incident-scribe",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.domain = domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}  # channel id -> ts -> message
        # (channel id, thread ts) -> reply ts: reading a message must not scan the whole channel.
        self._replies: dict[tuple[str, str], dict[str, None]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self._counters: dict[str, int] = {}
        self._last_ts = 0
        self.users[bot_user_id] = User(
            id=bot_user_id, name=bot_name, team_id=team_id, real_name="Incident Scribe",
            is_bot=True, bot_id=bot_id, app_id=app_id,
        )  # fmt: skip

    # -- ids and time ---------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}{n:08X}"

    def now(self) -> int:
        return int(self.clock())

    def next_ts(self) -> str:
        """A fresh message ts: wall-clock microseconds, bumped so that it is strictly increasing."""
        self._last_ts = max(int(self.clock() * 1_000_000), self._last_ts + 1)
        return format_ts(self._last_ts)

    # -- users ------------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        is_bot: bool = False,
        tz: str = "UTC",
        real_name: str | None = None,
        bot_id: str | None = None,
        deleted: bool = False,
    ) -> User:
        ZoneInfo(tz)  # fail at setup time on a typo'd zone, not on the first users.info
        user = User(
            id=self.new_id("U"), name=name, team_id=self.team_id, real_name=real_name or name,
            is_bot=is_bot, tz=tz, deleted=deleted,
        )  # fmt: skip
        if is_bot:
            user.bot_id = bot_id or self.new_id("B")
            user.app_id = self.new_id("A")
        self.users[user.id] = user
        return user

    def user(self, user_id: str) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise SlackApiError("user_not_found") from None

    def user_by_name(self, name: str) -> User | None:
        return next((u for u in self.users.values() if u.name == name), None)

    def bot_user(self, bot_id: str) -> User | None:
        return next((u for u in self.users.values() if u.bot_id == bot_id), None)

    def bot_profile(self, bot_id: str, fallback_name: str | None = None) -> dict[str, Any]:
        owner = self.bot_user(bot_id)
        return {
            "id": bot_id,
            "deleted": False,
            "name": owner.real_name if owner else (fallback_name or "bot"),
            "updated": 1_700_000_000,
            "app_id": (owner.app_id if owner else None) or "A00000000",
            "icons": {"image_48": f"https://avatars.example.invalid/{bot_id}_48.png"},
            "team_id": self.team_id,
        }

    # -- conversations ----------------------------------------------------------------------------
    def add_channel(
        self, name: str, *, members: Iterable[str] = (), is_private: bool = False, bot_member: bool = True
    ) -> Channel:
        if any(c.name == name for c in self.channels.values() if not c.is_im):
            raise ValueError(f"channel name taken: {name}")
        member_ids = list(dict.fromkeys(members))
        for uid in member_ids:
            self.user(uid)
        if bot_member and self.bot_user_id not in member_ids:
            member_ids.append(self.bot_user_id)
        creator = member_ids[0] if member_ids else self.bot_user_id
        channel = Channel(
            id=self.new_id("C"), name=name, created=self.now(), creator=creator,
            is_private=is_private, members=member_ids,
        )  # fmt: skip
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    def channel(self, ref: str, *, viewer: str | None = None, allow_name: bool = True) -> Channel:
        """Look a conversation up by id or name (`#name` too); private ones exist only for members."""
        channel = self.channels.get(ref)
        if channel is None and allow_name:
            name = ref.removeprefix("#")
            channel = next((c for c in self.channels.values() if c.name == name and not c.is_im), None)
        if channel is None:
            raise SlackApiError("channel_not_found")
        if viewer is not None and (channel.is_private or channel.is_im) and viewer not in channel.members:
            raise SlackApiError("channel_not_found")
        return channel

    def require_member(self, channel: Channel, user_id: str) -> None:
        if user_id not in channel.members:
            raise SlackApiError("not_in_channel")

    def require_writable(self, channel: Channel, user_id: str) -> None:
        self.require_member(channel, user_id)
        if channel.is_archived:
            raise SlackApiError("is_archived")

    def join(self, channel: Channel, user_id: str) -> bool:
        """Add a member; False when already in."""
        if user_id in channel.members:
            return False
        channel.members.append(user_id)
        return True

    def leave(self, channel: Channel, user_id: str) -> bool:
        """Remove a member; False when not in."""
        if user_id not in channel.members:
            return False
        channel.members.remove(user_id)
        return True

    def open_im(self, user_id: str) -> tuple[Channel, bool]:
        """The bot's DM with a user, created on first use. Returns (channel, already_open)."""
        user = self.user(user_id)
        if user.is_bot:
            raise SlackApiError("cannot_dm_bot")
        if user.deleted:
            raise SlackApiError("user_disabled")
        existing = next((c for c in self.channels.values() if c.im_user == user_id), None)
        if existing is not None:
            return existing, True
        im = Channel(
            id=self.new_id("D"), name=user_id, created=self.now(), creator=self.bot_user_id,
            members=[self.bot_user_id, user_id], im_user=user_id,
        )  # fmt: skip
        self.channels[im.id] = im
        self.messages[im.id] = {}
        return im, False

    # -- messages ---------------------------------------------------------------------------------
    def post(self, channel: Channel, message: dict[str, Any], *, ts: str | None = None) -> dict[str, Any]:
        """Store a message (Slack API shape, without ts) and return the stored copy with its ts."""
        store = self.messages[channel.id]
        if ts is None:
            ts = self.next_ts()
        elif not _TS_RE.match(ts):
            raise ValueError(f"malformed ts: {ts!r}")
        elif ts in store:
            raise ValueError(f"ts already used in {channel.id}: {ts}")
        else:
            self._last_ts = max(self._last_ts, ts_key(ts)[0] * 1_000_000 + ts_key(ts)[1])
        thread_ts = message.get("thread_ts")
        if thread_ts is not None:
            parent = store.get(thread_ts)
            if parent is None or parent.get("thread_ts", thread_ts) != thread_ts:
                raise SlackApiError("thread_not_found")
        stored = {"type": "message", **message, "ts": ts}
        if thread_ts is not None:
            stored["parent_user_id"] = parent.get("user", "")
        store[ts] = stored
        if thread_ts is not None and thread_ts != ts:
            self._replies.setdefault((channel.id, thread_ts), {})[ts] = None
        return copy.deepcopy(self.public(channel, stored))

    def raw_message(self, channel: Channel, ts: str) -> dict[str, Any]:
        try:
            return self.messages[channel.id][ts]
        except KeyError:
            raise SlackApiError("message_not_found") from None

    def message(self, channel: Channel, ts: str) -> dict[str, Any]:
        return copy.deepcopy(self.public(channel, self.raw_message(channel, ts)))

    def replies_of(self, channel: Channel, thread_ts: str) -> list[dict[str, Any]]:
        store = self.messages[channel.id]
        replies = (store.get(ts) for ts in self._replies.get((channel.id, thread_ts), ()))
        return sorted(
            (m for m in replies if m is not None and m.get("thread_ts") == thread_ts),
            key=lambda m: ts_key(m["ts"]),
        )

    def public(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        """The message as the API shows it: thread parents carry their reply summary."""
        replies = self.replies_of(channel, message["ts"]) if "parent_user_id" not in message else []
        if not replies:
            return message
        users = list(dict.fromkeys(r.get("user") or r.get("bot_id", "") for r in replies))
        return {
            **message,
            "thread_ts": message["ts"],
            "reply_count": len(replies),
            "reply_users_count": len(users),
            "latest_reply": replies[-1]["ts"],
            "reply_users": users[:5],
            "is_locked": False,
            "subscribed": False,
        }

    def edit(self, channel: Channel, ts: str, changes: dict[str, Any], *, editor: str) -> tuple[dict, dict]:
        """Apply changes to a message; returns (previous, current) API copies."""
        raw = self.raw_message(channel, ts)
        previous = self.message(channel, ts)
        raw.update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            raw.pop(key, None)
        raw["edited"] = {"user": editor, "ts": self.next_ts()}
        return previous, self.message(channel, ts)

    def delete(self, channel: Channel, ts: str) -> dict[str, Any]:
        previous = self.message(channel, ts)
        del self.messages[channel.id][ts]
        return previous

    def timeline(self, channel: Channel) -> list[dict[str, Any]]:
        """Channel-level messages, newest first, as conversations.history lists them."""
        top = [
            m
            for m in self.messages[channel.id].values()
            if "parent_user_id" not in m or m.get("subtype") == "thread_broadcast"
        ]
        return [
            copy.deepcopy(self.public(channel, m))
            for m in sorted(top, key=lambda m: ts_key(m["ts"]), reverse=True)
        ]

    def thread(self, channel: Channel, ts: str) -> list[dict[str, Any]]:
        """A thread, parent first then replies oldest first, as conversations.replies lists it."""
        raw = self.messages[channel.id].get(ts)
        if raw is None:
            raise SlackApiError("thread_not_found")
        if "parent_user_id" in raw:  # asked for a reply's ts: Slack answers with just that reply
            return [copy.deepcopy(raw)]
        return [copy.deepcopy(self.public(channel, raw)), *copy.deepcopy(self.replies_of(channel, ts))]

    # -- reactions --------------------------------------------------------------------------------
    def add_reaction(self, channel: Channel, ts: str, user_id: str, name: str) -> None:
        raw = self.raw_message(channel, ts)
        reactions: list[dict[str, Any]] = raw.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if user_id in entry["users"]:
            raise SlackApiError("already_reacted")
        entry["users"].append(user_id)
        entry["count"] = len(entry["users"])

    def remove_reaction(self, channel: Channel, ts: str, user_id: str, name: str) -> None:
        raw = self.raw_message(channel, ts)
        reactions: list[dict[str, Any]] = raw.get("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None or user_id not in entry["users"]:
            raise SlackApiError("no_reaction")
        entry["users"].remove(user_id)
        entry["count"] = len(entry["users"])
        if not entry["users"]:
            reactions.remove(entry)
        if not reactions:
            raw.pop("reactions", None)

    # -- files ------------------------------------------------------------------------------------
    def new_file(
        self, *, name: str, length: int, user: str, alt_txt: str | None, snippet_type: str | None
    ) -> StoredFile:
        f = StoredFile(
            id=self.new_id("F"), name=name, title=name, length=length, user=user, created=self.now(),
            alt_txt=alt_txt, snippet_type=snippet_type,
        )  # fmt: skip
        self.files[f.id] = f
        return f

    def file(self, file_id: str) -> StoredFile:
        try:
            return self.files[file_id]
        except KeyError:
            raise SlackApiError("file_not_found") from None
