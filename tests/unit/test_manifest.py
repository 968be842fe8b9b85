"""manifest.yml is a valid Slack app manifest and asks for every scope its subscriptions need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.simulator.server import BOT_SCOPES, DEFAULT_BOT_EVENTS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "slack-manifest.schema.json"

# Bot event -> the scopes of which at least one must be granted (Slack's Events API reference).
EVENT_SCOPES: dict[str, set[str]] = {
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
    "message.mpim": {"mpim:history"},
    "app_mention": {"app_mentions:read"},
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
    "member_joined_channel": {"channels:read", "groups:read"},
    "member_left_channel": {"channels:read", "groups:read"},
    "channel_rename": {"channels:read"},
    "group_rename": {"groups:read"},
    "channel_archive": {"channels:read"},
}

# Web API methods the bot calls -> the bot scopes any of which allows the call.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.join": {"channels:join"},
    "conversations.open": {"im:write"},
    "users.info": {"users:read"},
    "reactions.add": {"reactions:write"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "conversations.canvases.create": {"canvases:write"},
    "canvases.edit": {"canvases:write"},
    "canvases.sections.lookup": {"canvases:read"},
    "pins.add": {"pins:write"},
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def bot_scopes(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_manifest_validates_against_slack_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(manifest, schema, cls=jsonschema.Draft7Validator)


def test_schema_catches_a_broken_manifest(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {**manifest, "display_information": {"name": "x" * 36}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft7Validator)


def test_every_bot_event_has_its_scope(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    for needed in ("message.channels", "message.groups", "reaction_added", "member_joined_channel"):
        assert needed in events
    for event in events:
        assert event in EVENT_SCOPES, f"add {event} to EVENT_SCOPES"
        assert EVENT_SCOPES[event] & scopes, f"{event} needs one of {sorted(EVENT_SCOPES[event])}"


def test_every_called_method_has_its_scope(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    for method, allowed in METHOD_SCOPES.items():
        assert allowed & scopes, f"{method} needs one of {sorted(allowed)}"
    assert "commands" in scopes


def test_slash_command_shortcut_and_endpoints(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/postmortem"
    assert command["should_escape"] is True
    assert command["usage_hint"]
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "add_to_timeline")
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["interactivity"]["is_enabled"] is True
    urls = {
        command["url"],
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
    }
    assert urls == {"https://example.com/slack/events"}
    assert manifest["display_information"]["name"] == "Incident Scribe"


def test_simulator_grants_the_manifest_scopes(manifest: dict[str, Any]) -> None:
    assert set(BOT_SCOPES.split(",")) == bot_scopes(manifest)


def test_simulator_delivers_exactly_the_subscribed_events(manifest: dict[str, Any]) -> None:
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == DEFAULT_BOT_EVENTS
