"""`/postmortem review`: the entries the bot is least sure about, and a person's correction of them.

The blocks are built here from plain entries (`review_blocks`, pure); the listener in
bot/slack/listeners/actions.py only reads the click and calls `set_kind` or `take_out`. A correction
locks the kind (reclassification leaves it alone), marks it "confirmed", and re-derives the
incident's record, so the next draft says what the person said.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot import incident_record
from bot.domain import ALL_KINDS, TimelineEntry
from bot.postmortem.text import mrkdwn_line, mrkdwn_plain
from bot.slack.context import ChannelRef
from storage import entries as entry_store
from storage import incidents as incident_store

if TYPE_CHECKING:
    from bot.services import Services

ACTION_SET_KIND = "review_set_kind"
ACTION_TAKE_OUT = "review_take_out"
# Two blocks an entry, plus the intro and the "more" line, stay under Slack's 50 blocks a message;
# a short list is also what a person will actually go through.
MAX_ENTRIES = 15
TEXT_MAX = 280


def review_blocks(
    entries: Sequence[TimelineEntry], total: int, texts: Any, tz: tzinfo
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) listing `entries` with a kind picker and a take-out button each."""
    if not entries:
        text = str(texts.review_empty())
        return text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]
    intro = str(texts.review_intro(len(entries), total))
    blocks = [SectionBlock(text=MarkdownTextObject(text=intro))]
    for e in entries:
        assert e.id is not None
        line = texts.review_entry(
            e.occurred_at.astimezone(tz).strftime("%H:%M %Z"),
            e.kind,
            e.confidence,
            mrkdwn_plain(e.author_name or e.author_id or e.source or ""),
            mrkdwn_line(e.text, TEXT_MAX),
        )
        blocks.append(SectionBlock(block_id=f"review-{e.id}", text=MarkdownTextObject(text=str(line))))
        options = [Option(value=f"{e.id}:{kind}", text=kind) for kind in ALL_KINDS]
        blocks.append(
            ActionsBlock(
                block_id=f"review-actions-{e.id}",
                elements=[
                    StaticSelectElement(
                        action_id=ACTION_SET_KIND,
                        placeholder="Set the kind",
                        options=options,
                        initial_option=next((o for o in options if o.value == f"{e.id}:{e.kind}"), None),
                    ),
                    ButtonElement(
                        action_id=ACTION_TAKE_OUT, text="Take out", value=str(e.id), style="danger"
                    ),
                ],
            )
        )
    if total > len(entries):
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=str(texts.review_more(total - len(entries))))])
        )
    return intro, [b.to_dict() for b in blocks]


async def review(
    services: Services, ref: ChannelRef, user_id: str
) -> tuple[str, list[dict[str, Any]] | None]:
    """The ephemeral reply for `/postmortem review` in an incident channel."""
    texts = incident_record.texts(services)
    if not await incident_record.may_change(services, ref.id, user_id):
        return str(texts.not_member()), None
    async with services.db.session() as session:
        row = await incident_store.row_by_channel(session, ref.id)
        if row is None or row.id is None:
            entries, total = [], 0
        else:
            entries, total = await entry_store.least_sure(
                session, row.id, human_confidence="strong", weak="weak", limit=MAX_ENTRIES
            )
    return review_blocks(entries, total, texts, services.settings.zone)


def bad_choice(services: Services) -> str:
    return str(incident_record.texts(services).bad_choice())


def parse_kind_choice(value: str) -> tuple[int, str] | None:
    """`<entry id>:<kind>` from the picker's option value."""
    entry_id, _, kind = value.partition(":")
    if not entry_id.isdigit() or kind not in ALL_KINDS:
        return None
    return int(entry_id), kind


async def set_kind(services: Services, user_id: str, entry_id: int, kind: str) -> str:
    return await _correct(services, user_id, entry_id, kind)


async def take_out(services: Services, user_id: str, entry_id: int) -> str:
    return await _correct(services, user_id, entry_id, None)


async def _correct(services: Services, user_id: str, entry_id: int, kind: str | None) -> str:
    """Set the entry's kind (or, with None, take it out); the reply for the person who clicked.
    Only a member of the entry's channel may, and nobody else is shown its text."""
    texts = incident_record.texts(services)
    async with services.db.session() as session:
        row = await entry_store.by_id(session, entry_id)
        channel_id = row.channel_id if row is not None else None
    if channel_id is None or not await incident_record.may_change(services, channel_id, user_id):
        return str(texts.not_member() if channel_id else texts.gone())
    async with services.db.transaction() as session:
        row = await entry_store.by_id(session, entry_id)
        if row is None or row.hidden or row.deleted_at is not None:
            return str(texts.gone())
        if kind is None:
            row.hidden = True
        else:
            row.kind, row.kind_locked, row.confidence = kind, True, "confirmed"
        session.add(row)
        await session.flush()
        await incident_record.refresh(session, row.incident_id)
        shown = mrkdwn_line(row.text, TEXT_MAX)
    return str(texts.taken_out(shown) if kind is None else texts.corrected(kind, shown))
