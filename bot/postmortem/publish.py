"""Drafting with I/O: read the incident from storage, render, post the summary, upload the file.

`render_for_channel` is shared by `/postmortem draft` and `scribe draft`, so the file Slack gets
and the file the CLI writes are the same text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.postmortem.assemble import Report, build_report
from bot.postmortem.policy import Policy
from bot.postmortem.render import builtin_templates_dir
from bot.postmortem.summary import summary_blocks
from bot.postmortem.versions import report_digest, what_changed
from storage import drafts as draft_store
from storage import entries as entry_store
from storage import followups as followup_store
from storage import history as history_store
from storage import incidents as incident_store
from storage.db import Database

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.postmortem.render import TemplateRenderer
    from bot.services import Services

log = logging.getLogger(__name__)


# For a channel followed live the watermark is current: one conversations.history call finds
# nothing new. A draft never spends more than this on history (Slack's ack window is 3 s).
DRAFT_HISTORY_CALLS = 2
DRAFT_HISTORY_SECONDS = 2.5


class UploadFailed(Exception):
    """The summary of draft `version` is posted (and recorded); its Markdown file is not."""

    def __init__(self, version: int) -> None:
        super().__init__(f"draft v{version}: summary posted, Markdown file not uploaded")
        self.version = version


class NoIncident(Exception):
    pass


@dataclass(frozen=True, slots=True)
class RenderedDraft:
    incident_id: int
    channel_id: str
    incident_key: str
    template: str
    markdown: str
    report: Report


@functools.cache
def history_reading_note() -> str:
    return (builtin_templates_dir() / "messages" / "history_reading.txt").read_text(encoding="utf-8").strip()


def policy_from(settings: Settings) -> Policy:
    return Policy.from_strings(
        settings.scribe_required_approvals, settings.scribe_change_window, settings.zone
    )


def as_of(report_inputs: tuple[Any, list[Any]]) -> datetime:
    """The draft's "now" is the incident's last activity, never the wall clock: drafting the same
    data twice (Slack, then `scribe draft`) must give the same text."""
    incident, entries = report_inputs
    moments = [e.occurred_at for e in entries]
    if incident.resolved_at:
        moments.append(incident.resolved_at)
    return max(moments) if moments else incident.opened_at


async def render_for_channel(
    db: Database,
    renderer: TemplateRenderer,
    settings: Settings,
    channel: str,
    template: str = "postmortem",
    *,
    still_reading: bool = False,
) -> RenderedDraft:
    """`still_reading`: the caller knows of messages not read back yet (besides a walk under way,
    which the database records)."""
    async with db.session() as session:
        row = await incident_store.find_row(session, channel)
        if row is None or row.id is None:
            raise NoIncident(f"no incident recorded for channel {channel}")
        incident = incident_store.to_incident(row)
        entries = await entry_store.timeline(session, row.id)
        followups = await followup_store.list_for_incident(session, row.id)
        history = await history_store.find(session, row.channel_id)
    reading = still_reading or (history is not None and history.walk_oldest is not None)

    def assemble_and_render() -> tuple[Report, str]:
        report = build_report(
            incident,
            entries,
            followups,
            now=as_of((incident, entries)),
            tz=settings.zone,
            policy=policy_from(settings),
            postmortem_due_hours=settings.scribe_postmortem_due_hours,
        )
        if reading:
            report = dataclasses.replace(
                report, header=dataclasses.replace(report.header, history_incomplete=True)
            )
        return report, renderer.render(template, report)

    # Seconds of CPU for a long incident: off the event loop, so Slack's other requests keep their ack.
    report, markdown = await asyncio.to_thread(assemble_and_render)
    return RenderedDraft(row.id, row.channel_id, report.header.incident_id, template, markdown, report)


async def publish(services: Services, channel_id: str, user_id: str | None, template: str) -> dict[str, Any]:
    """Render, post the Block Kit summary and upload the Markdown; returns what was posted."""
    # What the event stream dropped is read first, within what the ack allows; the rest is read
    # in the background and the summary says so.
    try:
        history = await services.capture.history.catch_up(
            await services.channel_ref(channel_id),
            max_calls=DRAFT_HISTORY_CALLS,
            max_seconds=DRAFT_HISTORY_SECONDS,
        )
        # Messages the database could not store are not read back yet: the draft lacks them too.
        still_reading = not history.done or services.capture.gaps.pending(channel_id)
    except Exception as exc:
        log.warning(
            "reading history before drafting %s failed (%s); drafting from what is stored", channel_id, exc
        )
        still_reading = False
    draft = await render_for_channel(
        services.db, services.renderer, services.settings, channel_id, template, still_reading=still_reading
    )
    async with services.db.transaction() as session:
        previous = await draft_store.latest(session, draft.incident_id)
        row = await draft_store.add(
            session,
            incident_id=draft.incident_id,
            template=template,
            markdown=draft.markdown,
            digest={},
            requested_by=user_id,
            now=services.clock(),
        )
        version, draft_id = row.version, row.id
        row.digest = await asyncio.to_thread(report_digest, draft.report, version=version)
        session.add(row)

    def summarise() -> tuple[list[Any], str]:
        changed = (
            what_changed(previous.digest, draft.report, prev_version=previous.version) if previous else None
        )
        return summary_blocks(draft.report, version=version, changed=changed)

    blocks, fallback = await asyncio.to_thread(summarise)
    if draft.report.header.history_incomplete:
        note = history_reading_note()
        blocks = [*blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]
        fallback = f"{fallback}\n{note}"
    posted = await services.gateway.post_message(channel_id, fallback, blocks)
    filename = f"{draft.incident_key}-postmortem-v{version}.md"
    try:
        file_id = await services.gateway.upload_markdown(
            channel_id, filename, draft.markdown, title=f"{draft.incident_key} post-mortem draft v{version}"
        )
    except Exception as exc:
        file_id = None
        failed: Exception | None = exc
    else:
        failed = None
    async with services.db.transaction() as session:
        stored = await session.get(draft_store.DraftRow, draft_id)
        if stored is not None:
            stored.message_ts, stored.file_id = posted.get("ts"), file_id
            session.add(stored)
    if failed is not None:
        raise UploadFailed(version) from failed
    return {"version": version, "ts": posted.get("ts"), "file_id": file_id, "filename": filename}
