"""manifest.yml is a valid Slack app manifest; it subscribes to exactly the events the code listens
for, and grants the scopes of every subscription and of every Web API method the code calls."""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

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
    "channel_created": {"channels:read"},
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
    "conversations.members": {"channels:read", "groups:read"},
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
    "auth.test": set(),  # any token
    "chat.getPermalink": set(),  # any token
    "apps.connections.open": set(),  # the app-level token's connections:write, not a bot scope
}
# slack-sdk helpers that are several Web API methods.
COMPOSITE = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
LISTENERS = ROOT / "bot" / "slack" / "listeners"
SDK_CALL = re.compile(r"client\.([a-z]+_[A-Za-z0-9_]+)\(|_paged\(\s*\"([a-z]+_[A-Za-z0-9_]+)\"")
API_CALL = re.compile(r"api_call\(\s*\"([A-Za-z.]+)\"")


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


def listened_events() -> set[str]:
    """Every `@app.event("…")` in the listeners."""
    found: set[str] = set()
    for path in LISTENERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "event"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def web_api_methods(sdk_name: str) -> tuple[str, ...]:
    """The Web API methods behind a slack-sdk client method, read from slack-sdk's own source."""
    if sdk_name in COMPOSITE:
        return COMPOSITE[sdk_name]
    return tuple(API_CALL.findall(inspect.getsource(getattr(AsyncWebClient, sdk_name))))


def called_methods() -> set[str]:
    """Web API methods called anywhere in the bot (the simulator aside), e.g. `chat.postMessage`."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "simulator" in path.parts:
            continue
        for match in SDK_CALL.finditer(path.read_text(encoding="utf-8")):
            methods = web_api_methods(match.group(1) or match.group(2))
            assert methods, f"no Web API method found behind {match.group(0)}"
            found.update(methods)
    return found


def test_every_bot_event_has_its_scope(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    for event in events:
        assert event in EVENT_SCOPES, f"add {event} to EVENT_SCOPES"
        assert EVENT_SCOPES[event] & scopes, f"{event} needs one of {sorted(EVENT_SCOPES[event])}"


def test_every_listened_event_is_subscribed_and_every_subscription_listened_to(
    manifest: dict[str, Any],
) -> None:
    # message.channels / message.groups all arrive as the `message` event.
    subscribed = {e.split(".")[0] for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    listened = listened_events()
    assert {"message", "app_mention", "channel_created", "channel_rename"} <= listened
    assert listened - subscribed == set(), "listened to but never delivered: subscribe in manifest.yml"
    assert subscribed - listened == set(), "subscribed but nobody listens (Bolt answers 404)"


def test_every_called_method_has_its_scope(manifest: dict[str, Any]) -> None:
    scopes = bot_scopes(manifest)
    called = called_methods()
    assert {"conversations.history", "conversations.replies", "conversations.join"} <= called
    for method in sorted(called):
        assert method in METHOD_SCOPES, f"add {method} to METHOD_SCOPES"
        allowed = METHOD_SCOPES[method]
        assert not allowed or allowed & scopes, f"{method} needs one of {sorted(allowed)}"
    assert "commands" in scopes


def test_every_granted_scope_is_needed(manifest: dict[str, Any]) -> None:
    needed = {"commands"}
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    for allowed in [*(EVENT_SCOPES[e] for e in events), *(METHOD_SCOPES[m] for m in called_methods())]:
        needed |= allowed
    assert bot_scopes(manifest) - needed == set(), "granted but used by no event or call"


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
