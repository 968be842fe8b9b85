"""Making user text safe to put into Markdown tables and Slack messages.

Everything a responder typed reaches the draft and the summary only through these helpers, so the
rules live in one place:

* Broadcast mentions are neutralised by inserting U+200D ZERO WIDTH JOINER right after the ``@`` or
  ``!`` (``<!channel>`` → ``<!\u200dchannel>``, ``@here`` → ``@\u200dhere``). The text still reads the
  same to a human, but Slack's parser no longer recognises a broadcast. We chose the joiner over
  backticks because backticks change the look of the text and can be closed by the text itself.
* Markdown table cells escape backslashes and pipes and turn line breaks into ``<br>`` so no text can
  add a column or end a row.
* Slack ``mrkdwn`` text escapes ``&``, ``<`` and ``>`` as Slack documents, which also disarms user,
  channel and group mentions (``<@U1>``, ``<#C1>``, ``<!subteam^S1>``).
"""

from __future__ import annotations

import re
from datetime import timedelta

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
