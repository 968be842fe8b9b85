"""`/postmortem`: parse the subcommand, ack within Slack's 3 seconds, hand heavy work to a task."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot import incident_record, review
from bot.postmortem.render import TemplateProblem
from bot.postmortem.text import neutralise_mentions
from bot.slack.context import ChannelRef, CommandContext, CommandReply
from bot.slack.gateway import GatewayError
from storage import incidents as incident_store

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# Subcommands about the incident's record and the review step (bot.incident_record, bot.review).
RECORD_VERBS = (*incident_record.VERBS, "review")

USAGE = """*Usage*
`/postmortem help` — this help and the available templates
`/postmortem draft [template]` — post the post-mortem draft in this channel
`/postmortem note <text>` — add a note to the incident timeline
`/postmortem followup add <@user> <description> [due:YYYY-MM-DD|+3d|tomorrow] [priority:high|medium|low]`
`/postmortem followup list [mine]`
`/postmortem followup done <id>`
`/postmortem status <open|mitigated|resolved>` — set the incident's status
`/postmortem ic <@user>` — set the incident commander
`/postmortem severity <SEV1..SEV5|P0..P4>` — set the severity
`/postmortem review` — check the entries the bot is least sure about
`/postmortem catchup` — where the incident stands, for you only
`/postmortem canvas` — create (or link) the incident's live canvas"""


def usage(services: Services, problem: str | None = None) -> str:
    templates = ", ".join(f"`{name}`" for name in services.renderer.names())
    head = f"{problem}\n\n" if problem else ""
    return f"{head}{USAGE}\n\n*Templates:* {templates}"


def register(app: AsyncApp, services: Services) -> None:
    @app.command("/postmortem")
    async def postmortem(ack: Any, command: dict[str, Any], respond: Any, context: AsyncBoltContext) -> None:
        text = (command.get("text") or "").strip()
        words = text.split(None, 1)  # any whitespace: Slack keeps newlines and tabs in `text`
        verb = words[0].lower() if words else ""
        rest = words[1].strip() if len(words) > 1 else ""
        ref: ChannelRef = context.get("channel_ref") or ChannelRef(command["channel_id"], None, False)
        user_id = command["user_id"]

        if verb in ("", "help"):
            await ack(text=usage(services), response_type="ephemeral")
            return
        if verb == "followup":
            from bot.followups.service import handle_command

            reply = await handle_command(services, await _context(services, ref, command), rest)
            # Replies echo what the user typed (`<!channel>` arrives as a Slack token): disarm it.
            await ack(
                text=neutralise_mentions(reply.ephemeral) if reply.ephemeral else reply.ephemeral,
                blocks=_neutralised(reply.blocks),
                response_type="ephemeral",
            )
            if reply.public:
                services.tasks.spawn(_post_public(services, ref.id, reply.public), name="followup public")
            return
        if verb in RECORD_VERBS:
            await _record(services, ack, ref, command, verb, rest)
            return
        if verb in ("catchup", "canvas"):
            await (_catchup if verb == "catchup" else _canvas)(services, ref, ack)
            return
        if verb not in ("draft", "note"):
            await ack(
                text=usage(services, f"Unknown subcommand `{neutralise_mentions(verb)}`."),
                response_type="ephemeral",
            )
            return
        if not ref.is_incident:
            await ack(
                text=f"<#{ref.id}> is not an incident channel (names matching "
                f"`{services.settings.scribe_channel_pattern}`), so there is nothing to {verb} here.",
                response_type="ephemeral",
            )
            return
        if verb == "note":
            if not rest:
                await ack(text=usage(services, "`note` needs some text."), response_type="ephemeral")
                return
            kind = await services.capture.add_note(ref, user_id, command.get("user_name"), rest)
            await ack(text=f"Added to the timeline as *{kind}*.", response_type="ephemeral")
            return
        template = rest or "postmortem"
        if template not in services.renderer.names():
            await ack(
                text=usage(services, f"Unknown template `{neutralise_mentions(template)}`."),
                response_type="ephemeral",
            )
            return
        await ack(text=f"Drafting the post-mortem with the `{template}` template…", response_type="ephemeral")
        services.tasks.spawn(_draft(services, ref.id, user_id, template, respond), name=f"draft {ref.id}")


def _neutralised(value: Any) -> Any:
    """Block Kit (or any JSON value) with every string's broadcast mentions neutralised."""
    if isinstance(value, str):
        return neutralise_mentions(value)
    if isinstance(value, list):
        return [_neutralised(v) for v in value]
    if isinstance(value, dict):
        return {k: _neutralised(v) for k, v in value.items()}
    return value


async def _context(services: Services, ref: ChannelRef, command: dict[str, Any]) -> CommandContext:
    incident_id = None
    if ref.is_incident:
        async with services.db.session() as session:
            incident = await incident_store.get_by_channel(session, ref.id)
            incident_id = incident.id if incident else None
    return CommandContext(
        channel_id=ref.id,
        channel_name=ref.name,
        user_id=command["user_id"],
        user_name=command.get("user_name"),
        is_incident=ref.is_incident,
        incident_id=incident_id,
        now=services.clock(),
    )


async def _record(
    services: Services, ack: Any, ref: ChannelRef, command: dict[str, Any], verb: str, rest: str
) -> None:
    """`status`, `ic`, `severity` and `review`: ephemeral answers, and only in an incident channel."""
    if not ref.is_incident:
        await ack(
            text=f"<#{ref.id}> is not an incident channel (names matching "
            f"`{services.settings.scribe_channel_pattern}`), so it has no incident record.",
            response_type="ephemeral",
        )
        return
    user_id = command["user_id"]
    if verb == "review":
        if rest:
            await ack(text=usage(services, "`review` takes nothing after it."), response_type="ephemeral")
            return
        text, blocks = await review.review(services, ref, user_id)
        await ack(text=text, blocks=blocks, response_type="ephemeral")
        return
    change = incident_record.parse(verb, rest)
    if change is None:
        problem = incident_record.texts(services).bad_value(verb, rest)
        await ack(text=neutralise_mentions(usage(services, str(problem))), response_type="ephemeral")
        return
    if not await incident_record.may_change(services, ref.id, user_id):
        await ack(text=str(incident_record.texts(services).not_member()), response_type="ephemeral")
        return
    reply = await incident_record.apply(services, ref, user_id, command.get("user_name"), change)
    await ack(text=reply, response_type="ephemeral")


async def _catchup(services: Services, ref: ChannelRef, ack: Any) -> None:
    """Answered in the ack itself, from storage only (no history read)."""
    from bot.catchup import catchup_blocks
    from storage import entries as entry_store
    from storage import followups as followup_store

    async with services.db.session() as session:
        incident = await incident_store.get_by_channel(session, ref.id) if ref.is_incident else None
        if incident is None or incident.id is None:
            await ack(text="Nothing captured in this channel yet, so there is nothing to catch up on.",
                      response_type="ephemeral")  # fmt: skip
            return
        entries = await entry_store.events(session, incident.id)
        followups = await followup_store.list_for_incident(session, incident.id)
    module = services.renderer.env.get_template("live/catchup.j2").module
    text, blocks = catchup_blocks(
        incident, entries, followups, now=services.clock(), tz=services.settings.zone, text=module
    )
    await ack(text=neutralise_mentions(text), blocks=_neutralised(blocks), response_type="ephemeral")


async def _canvas(services: Services, ref: ChannelRef, ack: Any) -> None:
    from storage import canvases as canvas_store

    if services.canvas is None:
        await ack(text="The live canvas is turned off here (SCRIBE_CANVAS=off).", response_type="ephemeral")
        return
    if not ref.is_incident:
        await ack(text=f"<#{ref.id}> is not an incident channel, so it gets no incident canvas.",
                  response_type="ephemeral")  # fmt: skip
        return
    now = services.clock()
    async with services.db.transaction() as session:
        incident_id = await incident_store.open_incident(session, ref.id, ref.name or ref.id, now)
        await canvas_store.register(session, incident_id, ref.id, now)
        row = await canvas_store.get(session, incident_id)
    services.canvas.notify(ref.id, now=True)
    if row is not None and row.mode == "canvas" and row.canvas_id:
        await ack(text=f"This incident's live canvas is the channel canvas (id `{row.canvas_id}`); "
                  "the bot keeps it current.", response_type="ephemeral")  # fmt: skip
    elif row is not None and row.mode == "pinned":
        await ack(text="Canvases are not available in this workspace: the bot keeps a pinned message "
                  "in this channel current instead.", response_type="ephemeral")  # fmt: skip
    else:
        await ack(text="Creating this incident's live canvas; it appears in the channel header in a "
                  "moment.", response_type="ephemeral")  # fmt: skip


async def _post_public(services: Services, channel_id: str, text: str) -> None:
    await services.gateway.post_message(channel_id, neutralise_mentions(text))


async def _draft(services: Services, channel_id: str, user_id: str, template: str, respond: Any) -> None:
    from bot.postmortem.publish import NoIncident, UploadFailed, publish

    try:
        result = await publish(services, channel_id, user_id, template)
    except TemplateProblem as problem:
        await respond(
            text=neutralise_mentions(f"The template could not be rendered: {problem}"),
            response_type="ephemeral",
        )
    except NoIncident:
        await respond(
            text="Nothing captured in this channel yet, so there is no draft to write.",
            response_type="ephemeral",
        )
    except UploadFailed as failed:
        cause = failed.__cause__
        slack_said = isinstance(cause, GatewayError)
        why = f"Slack answered {cause.error}" if isinstance(cause, GatewayError) else "see the bot's log"
        # Slack's refusal is the whole story; anything else keeps its traceback (one line if an outage).
        log.warning("%s in %s (%s)", failed, channel_id, why, exc_info=None if slack_said else cause)
        await respond(
            text=f"Draft v{failed.version}'s summary is posted, but Slack did not take its Markdown file "
            f"({why}). Run `/postmortem draft` again for the file.",
            response_type="ephemeral",
        )
    except GatewayError as refused:  # nothing posted: the summary is the first thing sent
        log.warning("drafting failed in %s: %s", channel_id, refused)
        await respond(
            text=f"Drafting failed: Slack answered `{refused.error}`. Nothing was posted; try again.",
            response_type="ephemeral",
        )
    except Exception:  # may be after the summary was posted: say nothing either way
        log.exception("drafting failed in %s", channel_id)
        await respond(
            text="Drafting failed; the error is in the bot's log.",
            response_type="ephemeral",
        )
    else:
        log.info("draft v%s posted in %s", result["version"], channel_id)


__all__ = ["USAGE", "CommandReply", "register"]
