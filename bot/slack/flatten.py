"""Slack message payload -> the plain text the capture classifier reads (pure).

CONTRACT.md names the parts: top-level text, per attachment its pretext, author name, title, text,
one ``Field title: value`` line per field, and footer; rich-text/section/header/context blocks
contribute their plain text. The order is the one the independent corpus was flattened with
(../shared/corpus/README.md): top-level text, top-level blocks, then each attachment's parts with
its own blocks after its footer. Parts are kept as written (mrkdwn, spaces - "*Mentions*: " with
nobody to mention keeps its space) but for the newlines around them, joined with newlines; parts
with no text are dropped.

What Slack really sends shapes two choices here:

* A message typed in the Slack client carries both ``text`` and a ``rich_text`` block holding the
  same words (the block is the structured form of the text). Flattening both would double every
  human message, so a block whose text is the top-level text again is read once; a block that
  says something else is kept.
* Apps posting Block Kit must also send ``text`` as the notification fallback, and it is usually a
  copy (or a prefix) of the first section. When that fallback is already contained in the block
  text it is dropped; when it says something the blocks do not (a short "New alert" summary), it
  is kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# `<…>` spans in Slack mrkdwn: user/channel mentions, special commands, links. Slack escapes literal
# angle brackets as &lt;/&gt;, so a real span never starts with a space. Bounded and `<`/`>`-free, so
# a run of stray `<` in a 40 kB paste cannot make the scan quadratic.
_MARKUP = re.compile(r"<([^<>\s|][^<>\n]{0,2000})>")


def _markup_replacement(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # <@U123|alice> or <@U123>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|incident-42> or <#C123>
        return "#" + (label or target[1:])
    if target.startswith("!"):
        command = target[1:]
        if command.startswith("subteam^"):
            return label if label.startswith("@") else "@" + (label or command[8:])
        if command.startswith("date^"):
            return label
        return "@" + command  # <!here>, <!channel>, <!everyone>
    # A link: its label is what readers see; a bare URL stays a URL.
    return label or target


def slack_to_text(text: str) -> str:
    """Slack mrkdwn markup -> readable text: ``<@U1|alice>`` -> ``@alice``, ``<url|label>`` ->
    ``label``, ``<!here>`` -> ``@here``, and the three HTML entities Slack escapes."""
    if "<" in text:
        text = _MARKUP.sub(_markup_replacement, text)
    if "&" in text:
        # Slack escapes only &, < and >; html.unescape also covers the odd &quot; from webhooks.
        text = html.unescape(text)
    return text


def _s(value: Any) -> str:
    return value.strip("\n") if isinstance(value, str) and not value.isspace() else ""


def _text_object(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return _s(obj.get("text"))
    return ""


def _rich_elements(elements: Iterable[Any]) -> str:
    out: list[str] = []
    for el in elements:
        if not isinstance(el, Mapping):
            continue
        kind = el.get("type")
        if kind == "text":
            out.append(el.get("text") or "")
        elif kind == "link":
            out.append(el.get("text") or el.get("url") or "")
        elif kind == "user":
            out.append("@" + str(el.get("user_id", "")))
        elif kind == "usergroup":
            out.append("@" + str(el.get("usergroup_id", "")))
        elif kind == "channel":
            out.append("#" + str(el.get("channel_id", "")))
        elif kind == "broadcast":
            out.append("@" + str(el.get("range", "")))
        elif kind == "emoji":
            out.append(":" + str(el.get("name", "")) + ":")
        elif kind == "date":
            out.append(str(el.get("fallback", "")))
    return "".join(out)


def _rich_text(block: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for section in block.get("elements") or ():
        if not isinstance(section, Mapping):
            continue
        kind = section.get("type")
        if kind == "rich_text_list":
            items = [
                _rich_elements(item.get("elements") or ())
                for item in section.get("elements") or ()
                if isinstance(item, Mapping)
            ]
            parts.append("\n".join("- " + i for i in items if i.strip()))
        elif kind == "rich_text_preformatted":
            # Keep the fence so the classifier can tell pasted output from prose.
            parts.append("```\n" + _rich_elements(section.get("elements") or ()) + "\n```")
        elif kind == "rich_text_quote":
            body = _rich_elements(section.get("elements") or ())
            parts.append("\n".join("> " + line for line in body.splitlines()))
        else:
            parts.append(_rich_elements(section.get("elements") or ()))
    return "\n".join(p for p in (p.strip() for p in parts) if p)


def _blocks_text(blocks: Any, *, include_rich_text: bool) -> list[str]:
    parts: list[str] = []
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        return parts
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "rich_text":
            if include_rich_text:
                parts.append(_rich_text(block))
        elif kind in ("section", "header"):
            parts.append(_text_object(block.get("text")))
            for field in block.get("fields") or ():
                parts.append(_text_object(field))
        elif kind == "context":
            for el in block.get("elements") or ():
                if isinstance(el, Mapping) and el.get("type") in ("mrkdwn", "plain_text"):
                    parts.append(_s(el.get("text")))
    return [p for p in parts if p]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _attachment_parts(att: Mapping[str, Any]) -> list[str]:
    parts = [_s(att.get(key)) for key in ("pretext", "author_name", "title", "text")]
    for field in att.get("fields") or ():
        if not isinstance(field, Mapping):
            continue
        title, value = _s(field.get("title")), _s(field.get("value"))
        if value:
            parts.append(f"{title}: {value}" if title else value)
    parts.append(_s(att.get("footer")))
    # Attachments may carry Block Kit too (the "secondary content" form); read it like blocks.
    parts.extend(_blocks_text(att.get("blocks"), include_rich_text=True))
    return [p for p in parts if p]


def flatten_message(message: Mapping[str, Any]) -> str:
    """The text of a Slack message (event payload or API message object) as one string."""
    text = _s(message.get("text"))
    block_parts = _blocks_text(message.get("blocks"), include_rich_text=True)
    if text and block_parts:
        said = _squash(slack_to_text(text))
        # A typed message's rich_text block is the same words again: keep them once.
        block_parts = [p for p in block_parts if _squash(slack_to_text(p)) != said]
        # An app's `text` is the notification fallback, usually a copy of its first section.
        if block_parts and said in _squash(slack_to_text("\n".join(block_parts))):
            text = ""
    parts = [text] if text else []
    parts.extend(block_parts)
    for att in message.get("attachments") or ():
        if isinstance(att, Mapping):
            parts.extend(_attachment_parts(att))
    return "\n".join(parts)
