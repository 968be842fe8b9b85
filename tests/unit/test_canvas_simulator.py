"""The simulator's canvases behave as Slack documents them, seen through slack-sdk's own client."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.simulator.canvases import MAX_MARKDOWN
from bot.simulator.server import SlackSimulator
from tests.unit.test_simulator import api_error, sim, web_client

__all__ = ["sim", "web_client"]  # the simulator and a client of it, shared with test_simulator


@pytest.fixture
async def client(web_client: AsyncWebClient) -> AsyncWebClient:
    return web_client


def md(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


async def test_create_edit_lookup_delete(sim: SlackSimulator, client: AsyncWebClient) -> None:
    chan = sim.add_channel("incident-1")
    created = await client.conversations_canvases_create(
        channel_id=chan, title="Live", document_content=md("## Status\n\nopen\n\n## Timeline\n- 10:00 first")
    )
    canvas_id = created["canvas_id"]
    info = await client.conversations_info(channel=chan)
    assert info["channel"]["properties"]["canvas"]["file_id"] == canvas_id
    assert (
        await api_error(client.conversations_canvases_create(channel_id=chan, document_content=md("x")))
        == "channel_canvas_already_exists"
    )

    headers = (
        await client.canvases_sections_lookup(canvas_id=canvas_id, criteria={"section_types": ["h2"]})
    )["sections"]
    assert len(headers) == 2
    [first] = (
        await client.canvases_sections_lookup(canvas_id=canvas_id, criteria={"contains_text": "10:00"})
    )["sections"]
    await client.canvases_edit(
        canvas_id=canvas_id,
        changes=[
            {"operation": "insert_after", "section_id": first["id"], "document_content": md("- 10:01 two")}
        ],
    )
    await client.canvases_edit(
        canvas_id=canvas_id,
        changes=[{"operation": "replace", "section_id": first["id"], "document_content": md("- 10:00 one")}],
    )
    canvas = sim.canvases.canvas_of(chan)
    assert canvas is not None
    assert canvas.markdown == "## Status\nopen\n## Timeline\n- 10:00 one\n- 10:01 two"
    # The replaced section is gone, and so is its id.
    error = await api_error(
        client.canvases_edit(
            canvas_id=canvas_id, changes=[{"operation": "delete", "section_id": first["id"]}]
        )
    )
    assert error == "canvas_editing_failed"

    await client.canvases_delete(canvas_id=canvas_id)
    assert sim.canvases.canvas_of(chan) is None
    assert await api_error(client.canvases_edit(canvas_id=canvas_id, changes=[{"operation": "delete"}])) == (
        "canvas_not_found"
    )


async def test_one_operation_per_call_and_the_size_limit(sim: SlackSimulator, client: AsyncWebClient) -> None:
    chan = sim.add_channel("incident-2")
    canvas_id = (await client.conversations_canvases_create(channel_id=chan, document_content=md("# A")))[
        "canvas_id"
    ]
    two = [
        {"operation": "insert_at_end", "document_content": md("x")},
        {"operation": "insert_at_end", "document_content": md("y")},
    ]
    assert await api_error(client.canvases_edit(canvas_id=canvas_id, changes=two)) == "canvas_editing_failed"
    big = md("z" * (MAX_MARKDOWN + 1))
    error = await api_error(
        client.canvases_edit(
            canvas_id=canvas_id, changes=[{"operation": "insert_at_end", "document_content": big}]
        )
    )
    assert error == "canvas_editing_failed"
    bad = {"section_types": ["paragraph"]}
    assert await api_error(client.canvases_sections_lookup(canvas_id=canvas_id, criteria=bad)) == (
        "invalid_arguments"
    )


async def test_refusal_tier3_limit_and_pins(sim: SlackSimulator, client: AsyncWebClient) -> None:
    chan = sim.add_channel("incident-3")
    sim.canvases.refuse_creation("team_tier_cannot_create_channel_canvases")
    error = await api_error(client.conversations_canvases_create(channel_id=chan, document_content=md("x")))
    assert error == "team_tier_cannot_create_channel_canvases"
    sim.canvases.refuse_creation(None)
    canvas_id = (await client.conversations_canvases_create(channel_id=chan, document_content=md("x")))[
        "canvas_id"
    ]

    sim.canvases.tier3_limit(2)
    change = [{"operation": "insert_at_end", "document_content": md("- line")}]
    await client.canvases_edit(canvas_id=canvas_id, changes=change)
    await client.canvases_edit(canvas_id=canvas_id, changes=change)
    with pytest.raises(SlackApiError) as info:
        await client.canvases_edit(canvas_id=canvas_id, changes=change)
    assert info.value.response.status_code == 429
    assert int(info.value.response.headers["Retry-After"]) >= 1

    posted = await client.chat_postMessage(channel=chan, text="pinned")
    await client.pins_add(channel=chan, timestamp=posted["ts"])
    assert await api_error(client.pins_add(channel=chan, timestamp=posted["ts"])) == "already_pinned"
    assert sim.canvases.pins[chan] == [posted["ts"]]
