"""Making user text safe to put into Markdown tables and Slack messages.

Everything a responder typed reaches the draft and the summary only through these helpers, so the
rules live in one place:

* Broadcast mentions are neutralised by inserting U+200D ZERO WIDTH JOINER right after the ``@`` or
  ``!`` (``<!channel>`` → ``<!\u200dchannel>``, ``@here`` → ``@\u200dhere``). The text still reads the
  same to a human, but Slack's parser no longer recognises a broadcast. We chose the joiner over
  backticks because backticks change the look of the text and can be closed by the text itself.
* Markdown table cells escape backslashes and pipes and turn line breaks into ``<br>`` so no text can
  add a column or end a row.
* Text a person wrote is stored in Slack's wire form: a literal ``&``, ``<``, ``>`` arrive as ``&amp;``,
  ``&lt;``, ``&gt;`` and mentions and links as ``<…>`` markup. It is decoded exactly once for each
  medium: kept as it is for Slack ``mrkdwn`` (`mrkdwn`, broadcasts neutralised), made Markdown by
  `wire_markdown` for the draft and the canvas. Plain values (names, statuses) that never were in
  wire form take `slack_escape` for ``mrkdwn``, which also disarms user, channel and group mentions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from markupsafe import Markup

ZWJ = "\u200d"

# `<!channel>`, `<!here|here>`, `<!everyone>`, `<!subteam^S123|@team>` … any Slack special command.
_SPECIAL = re.compile(r"<!(?!\u200d)")
# Plain-text broadcasts, which Slack turns into real ones under link_names / parse=full.
_PLAIN = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n|\r|\n")
_WS_RUN = re.compile(r"[ \t\f\v]+")


def neutralise_mentions(text: str) -> str:
    """Break every broadcast mention without changing how the text reads (idempotent)."""
    if "@" not in text and "<!" not in text:
        return text
    text = _SPECIAL.sub("<!" + ZWJ, text)
    return _PLAIN.sub("@" + ZWJ, text)


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """Cut `text` to at most `limit` characters, the marker included."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit]
    return text[: limit - len(marker)].rstrip() + marker


def md_cell(value: object, limit: int | None = None) -> str:
    """A value as the content of one Markdown table cell: it cannot add columns or rows."""
    if value is None:
        return ""
    text = str(value)
    if limit is not None:
        text = truncate(text, limit)
    # Backslashes first, so a user's `\|` cannot turn our escape back into a column separator.
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    if "\n" in text or "\r" in text:
        text = _NEWLINES.sub("<br>", text)
    return neutralise_mentions(text.strip())


def md_inline(value: object, limit: int | None = None) -> str:
    """A value on one line of Markdown prose (list items, headings): line breaks become spaces."""
    if value is None:
        return ""
    text = str(value)
    if limit is not None:
        text = truncate(text, limit)
    if "\n" in text or "\r" in text:
        text = _WS_RUN.sub(" ", _NEWLINES.sub(" ", text))
    return neutralise_mentions(text.strip())


def slack_escape(value: object) -> str:
    """Text for Slack `mrkdwn`/`plain_text`: Slack's own escaping, then broadcast neutralising."""
    if value is None:
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return neutralise_mentions(text)


def mrkdwn(wire: object) -> Markup:
    """Wire-form text as Slack `mrkdwn`: it already is (re-escaping would show `&amp;lt;`), so only
    broadcasts are neutralised. Marked `Markup` because the live templates share the draft's
    environment, whose Markdown finalize passes such values unchanged."""
    return Markup(neutralise_mentions("" if wire is None else str(wire)))


_OPEN_TAIL = re.compile(r"<[^<>]*$|&[a-z]{0,4}$")


def truncate_wire(wire: str, limit: int, marker: str = "…") -> str:
    """`truncate` for wire-form text: a cut never leaves half a `<…>` mention/link or half an entity,
    which Slack would show as raw markup."""
    if len(wire) <= limit:
        return wire
    kept = truncate(wire, limit, marker)[: -len(marker)]
    return _OPEN_TAIL.sub("", kept).rstrip() + marker


def mrkdwn_line(wire: str, limit: int) -> Markup:
    """Wire-form text as `mrkdwn` on one line of at most `limit` characters."""
    return mrkdwn(truncate_wire(" ".join(wire.split()), limit))


def mrkdwn_plain(value: object) -> Markup:
    """A plain value (a name, a severity) as Slack `mrkdwn`, marked as `mrkdwn` does."""
    return Markup(slack_escape(value))


# One pass over wire-form text: Slack's person/channel markup, the `<br>` md_cell writes, Slack's three
# entities, a raw `&` that would open an entity, a web link as Slack marks it up, any other `<`.
_WIRE_MD = re.compile(
    r"<([@#])([UWC][A-Z0-9]{1,20})(?:\|([^<>|]{1,80}))?>|(<br>)|&(amp|lt|gt);|(&)(?=#|[A-Za-z][A-Za-z0-9]*;)"
    r"|<((?:https?://|mailto:)[^<>|\s]{1,2000})(?:\|([^<>]{1,2000}))?>|(<)"
)
_ENTITY_AHEAD = re.compile(r"#|[A-Za-z][A-Za-z0-9]*;")
# `&#58;`, `&colon;`…: Markdown decodes entities in link targets, so an entity is never let through.
_SCRIPT_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data(?=:[a-z]+/))(?=\s*:)")

# (sigil, id, label or None) → how a person or channel reads in the Markdown.
Mention = Callable[[str, str, str | None], str]


def _as_name(sigil: str, ident: str, label: str | None) -> str:
    return sigil + (label or ident)


def wire_markdown(wire: str, mention: Mention = _as_name) -> str:
    """Wire-form text as Markdown that shows what the person typed: Slack's entities decoded once and
    `<` escaped again as `&lt;` (no HTML tag can open), a raw `&` before an entity-like run made
    `&amp;` (no entity can be decoded), mentions as `mention` writes them (`@alice` by default), a web
    link as `label (url)`, and a script URL scheme broken by a zero-width joiner (it reads the same,
    but no browser runs it).
    Idempotent, so a value made safe twice reads the same."""

    def one(m: re.Match[str]) -> str:
        if m[1]:
            return mention(m[1], m[2], wire_markdown(m[3]) if m[3] else None)
        if m[4] or m[6]:
            return m[4] or "&amp;"
        if m[7]:  # `label (url)`: plain text, so no Markdown link of ours can carry a script
            url = wire_markdown(m[7])
            return f"{wire_markdown(m[8])} ({url})" if m[8] and m[8] != m[7] else url
        if m[5] == "amp":
            return "&amp;" if _ENTITY_AHEAD.match(wire, m.end()) else "&"
        return ">" if m[5] == "gt" else "&lt;"

    if "<" in wire or "&" in wire:
        wire = _WIRE_MD.sub(one, wire)
    if ":" in wire:
        wire = _SCRIPT_SCHEME.sub(lambda m: m[1] + ZWJ, wire)
    return wire


def one_line(value: object, limit: int) -> str:
    """Collapse whitespace to single spaces and truncate; for summaries of long messages."""
    text = " ".join(str(value).split())
    return truncate(text, limit)


def format_duration(delta: timedelta | float | None) -> str:
    """`45 s`, `3 min`, `2 min 15 s`, `1 h 5 min`, `2 d 3 h`."""
    if delta is None:
        return "unknown"
    seconds = round(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    if seconds < 60:
        return f"{seconds} s"
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"
