"""Settings: every variable validated with one line naming it; secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

BAD = [
    ("SCRIBE_CHANGE_WINDOW", "weekdays"),
    ("SCRIBE_CHANGE_WINDOW", "Mon-Fri 09:00-25:00"),
    ("SCRIBE_QUIET_HOURS", "night"),
    ("SCRIBE_QUIET_HOURS", "22:00-24:30"),
    ("SCRIBE_CAPTURE_REACTION", "Push Pin"),
    ("SCRIBE_UNDO_REACTION", "x!"),
    ("SCRIBE_MARK_REACTION", "memo pad"),
    ("SLACK_API_URL", "slack.com/api"),
    ("SLACK_API_URL", "ftp://slack.com/api/"),
    ("SCRIBE_LOG_FORMAT", "xml"),
    ("SCRIBE_LOG_LEVEL", "loud"),
    ("SCRIBE_TIMEZONE", "Mars/Olympus"),
    ("SCRIBE_REMINDER_INTERVAL_SECONDS", "0"),
    ("SCRIBE_POSTMORTEM_DUE_HOURS", "-1"),
    ("SLACK_BOT_TOKEN", "xoxp-user-token"),
    ("DATABASE_URL", "mysql://db/scribe"),
    # Numbers that parse but would overflow a date (or remind more than once a day) at the first sweep.
    ("SCRIBE_REMINDER_REPEAT_HOURS", "100000000"),
    ("SCRIBE_REMINDER_REPEAT_HOURS", "inf"),
    ("SCRIBE_REMINDER_REPEAT_HOURS", "1"),
    ("SCRIBE_ESCALATE_AFTER_DAYS", "100000000"),
    ("SCRIBE_POSTMORTEM_DUE_HOURS", "inf"),
    ("SCRIBE_POSTMORTEM_DUE_HOURS", "100000000"),
    ("SCRIBE_REMINDER_LEASE_SECONDS", "nan"),
    # A blank pattern would make every channel an incident channel.
    ("SCRIBE_CHANNEL_PATTERN", ""),
    ("SCRIBE_CHANNEL_PATTERN", "  "),
    # One emoji cannot both capture and undo.
    ("SCRIBE_UNDO_REACTION", "pushpin"),
    ("SCRIBE_MARK_REACTION", "x"),
]


def settings_from_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(_env_file=None)


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    with pytest.raises(SettingsError) as info:
        settings_from_env(monkeypatch, **{variable: value})
    message = str(info.value)
    assert message.startswith(f"{variable} is invalid"), message
    assert "\n" not in message


def test_good_values_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings_from_env(
        monkeypatch,
        SLACK_API_URL="http://127.0.0.1:9999/api",
        SCRIBE_CAPTURE_REACTION=":white_check_mark:",
        SCRIBE_MARK_REACTION="",
        SCRIBE_CHANGE_WINDOW="Mon-Thu 09:00-17:00; Fri 09:00-12:00 Europe/Paris",
        SCRIBE_QUIET_HOURS="22:00-08:00",
        SCRIBE_LOG_LEVEL="debug",
        SCRIBE_LOG_FORMAT="json",
    )
    assert s.slack_api_url == "http://127.0.0.1:9999/api/"  # slack-sdk appends the method name
    assert s.scribe_capture_reaction == "white_check_mark"
    assert s.scribe_mark_reaction == ""
    assert s.log_level == logging.DEBUG and s.scribe_log_format == "json"


def test_defaults() -> None:
    s = load_settings(_env_file=None)
    assert (s.scribe_log_format, s.scribe_log_level, s.scribe_postmortem_due_hours) == ("text", "INFO", 48)


def test_secrets_never_show_in_a_repr_or_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings_from_env(
        monkeypatch,
        SLACK_BOT_TOKEN="xoxb-very-secret-token",
        SLACK_SIGNING_SECRET="signing-secret-value",
        SLACK_APP_TOKEN="xapp-secret-app-token",
        DATABASE_URL="postgresql+asyncpg://scribe:hunter2@db:5432/scribe",
    )
    shown = repr(s) + str(s)
    for secret in ("very-secret-token", "signing-secret-value", "secret-app-token", "hunter2"):
        assert secret not in shown
    assert s.secret(s.slack_bot_token) == "xoxb-very-secret-token"
    with pytest.raises(SettingsError) as info:
        settings_from_env(monkeypatch, SLACK_APP_TOKEN="not-an-app-token-but-secret")
    assert "not-an-app-token-but-secret" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://scribe:hunter2@db:5432/scribe",
        "postgresql+asyncpg://scribe@db:5432/scribe?password=hunter2",
        "postgresql+asyncpg://scribe@db/scribe?sslmode=require&Password=hunter2",
    ],
)
def test_a_database_password_is_masked_wherever_the_url_carries_it(url: str) -> None:
    from bot.config import masked_url

    shown = masked_url(url)
    assert "hunter2" not in shown and "***" in shown
    assert shown.startswith("postgresql+asyncpg://scribe") and "db" in shown


def test_a_line_of_the_env_file_that_does_not_parse_is_refused_without_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text('SCRIBE_TIMEZONE=Europe/Paris\nSLACK_BOT_TOKEN="xoxb-secret-123\n')
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("SLACK_BOT_TOKEN is invalid: line 2 of .env does not parse"), message
    assert "secret" not in message
    (tmp_path / ".env").write_text(
        'SCRIBE_TIMEZONE="Europe/Paris"\n# a comment\n\nexport SCRIBE_CANVAS=off\n'
    )
    settings = load_settings()
    assert settings.scribe_timezone == "Europe/Paris" and settings.scribe_canvas == "off"


@pytest.mark.parametrize(
    ("content", "starts"),
    [
        (
            b"SLACK_SIGNING_SECRET 8f14e45fceea167a5a36dedd4bea2543\n",
            "SLACK_SIGNING_SECRET is invalid: line 1",
        ),
        (b"\xff\xfeSCRIBE_CANVAS=off\n", ".env is invalid: not UTF-8"),
    ],
)
def test_an_env_file_that_cannot_be_read_is_one_line_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, starts: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(content)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(starts) and "8f14e45f" not in str(info.value)
