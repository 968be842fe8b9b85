"""Settings: the environment variables of CONTRACT.md (also read from `.env`)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]{0,63}$")


def _split_names(value: str | None) -> tuple[str, ...]:
    return tuple(n for n in (part.strip() for part in (value or "").split(",")) if n)


_YEAR_HOURS = 366 * 24
_ENV_NAME = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)")
_SECRET_PARAM = re.compile(r"([?&](?:password|sslpassword|token)=)[^&]*", re.I)
_REACTION = re.compile(r"[a-z0-9_+'\-]+(?:::skin-tone-[2-6])?")
_LOG_LEVELS = tuple(logging.getLevelNamesMapping())


class SettingsError(Exception):
    """A missing or invalid setting; str() is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Secrets are SecretStr so that a repr, a validation error or a log line never shows them.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite+aiosqlite:///./scribe.db"
    scribe_channel_pattern: str = r"^inc(ident)?[-_]"
    scribe_reminder_interval_seconds: float = Field(default=300, gt=0, le=7 * 86400, allow_inf_nan=False)
    scribe_timezone: str = "UTC"
    scribe_templates_dir: Path | None = None
    scribe_rules_file: Path | None = None
    # Beyond the contract: knobs an SRE team expects to turn.
    scribe_capture_reaction: str = "pushpin"
    scribe_undo_reaction: str = "x"
    scribe_mark_reaction: str = "memo"  # empty disables marking auto-captured messages
    scribe_required_approvals: int = Field(default=2, ge=0, le=20)
    scribe_change_window: str | None = "Mon-Fri 09:00-17:00"
    # The contract reminds an item at most once a day; beyond a year a date overflows nothing useful.
    scribe_reminder_repeat_hours: float = Field(default=24, ge=24, le=_YEAR_HOURS, allow_inf_nan=False)
    scribe_escalate_after_days: int = Field(default=3, ge=1, le=365)
    # Default: 10 x the interval.
    scribe_reminder_lease_seconds: float | None = Field(default=None, gt=0, le=86400, allow_inf_nan=False)
    scribe_quiet_hours: str | None = None  # e.g. "22:00-08:00" in the owner's Slack time zone
    scribe_postmortem_due_hours: float = Field(default=48, gt=0, le=_YEAR_HOURS, allow_inf_nan=False)
    # Comma-separated service names the bot knows on top of those it learns (storage/services.py).
    scribe_services: str | None = None
    scribe_canvas: str = "on"  # the live post-mortem canvas: on | off
    # How long an incident's changes are gathered before its canvas is edited (bursts → few edits).
    scribe_canvas_debounce_seconds: float = Field(default=2.0, gt=0, le=60, allow_inf_nan=False)
    scribe_log_format: Literal["text", "json"] = "text"
    scribe_log_level: str = "INFO"

    @field_validator(
        "scribe_templates_dir", "scribe_rules_file", "scribe_change_window", "scribe_quiet_hours",
        "slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file or a shell means "not set", not "the current directory".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token (xoxb-…)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token (xapp-…)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        # slack-sdk joins the method name onto the base: without the slash `…/api` + `auth.test`
        # would call `…/auth.test`.
        return value.strip() if value.strip().endswith("/") else value.strip() + "/"

    @field_validator("scribe_capture_reaction", "scribe_undo_reaction", "scribe_mark_reaction")
    @classmethod
    def _reaction(cls, value: str, info: ValidationInfo) -> str:
        name = value.strip().strip(":")
        if not name and info.field_name == "scribe_mark_reaction":
            return ""
        if not _REACTION.fullmatch(name):
            raise ValueError(f"{value!r} is not an emoji name (like pushpin or white_check_mark)")
        return name

    @model_validator(mode="after")
    def _distinct_reactions(self) -> Settings:
        # One emoji cannot both capture and undo; the marker must not read as either to the bot.
        capture, undo = self.scribe_capture_reaction, self.scribe_undo_reaction
        mark = self.scribe_mark_reaction
        if capture == undo:
            raise ValueError(f"SCRIBE_UNDO_REACTION: {undo!r} is also SCRIBE_CAPTURE_REACTION")
        if mark and mark in (capture, undo):
            raise ValueError(f"SCRIBE_MARK_REACTION: {mark!r} is also the capture or undo reaction")
        return self

    @field_validator("scribe_change_window")
    @classmethod
    def _change_window(cls, value: str | None) -> str | None:
        if value is not None:
            from bot.postmortem.policy import PolicyError, parse_change_window

            try:
                parse_change_window(value, ZoneInfo("UTC"))
            except PolicyError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("scribe_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        if value is not None:
            from bot.followups.policy import parse_quiet_hours

            parse_quiet_hours(value)  # its ValueError names the expected shape
        return value

    @field_validator("scribe_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level

    @field_validator("scribe_templates_dir")
    @classmethod
    def _templates_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("scribe_rules_file")
    @classmethod
    def _rules_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            from bot.capture.rules import RulesError, load_rules

            try:
                load_rules(value)
            except RulesError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("scribe_services")
    @classmethod
    def _services(cls, value: str | None) -> str | None:
        for name in _split_names(value):
            if not _SERVICE_NAME.match(name):
                raise ValueError(f"{name!r} is not a service name (letters, digits, '.', '_', '-')")
        return value

    @field_validator("scribe_canvas")
    @classmethod
    def _on_off(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("on", "off"):
            raise ValueError("must be on or off")
        return value

    @field_validator("scribe_channel_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        if not value.strip():
            # An empty pattern matches every channel: a blank line would make #general an incident.
            raise ValueError("must not be empty (the default is ^inc(ident)?[-_])")
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @field_validator("scribe_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be an async SQLAlchemy URL (sqlite+aiosqlite:// or postgresql+asyncpg://)")
        try:
            make_url(value).port  # noqa: B018 (parsing the port is what validates it)
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"not a valid database URL ({exc.__class__.__name__})") from None
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The database URL may carry a password: a repr (in a traceback, say) shows it masked.
        for name, value in super().__repr_args__():
            yield name, masked_url(value) if name == "database_url" else value

    @property
    def log_level(self) -> int:
        return logging.getLevelNamesMapping()[self.scribe_log_level]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.scribe_timezone)

    @property
    def service_names(self) -> tuple[str, ...]:
        return _split_names(self.scribe_services)

    @property
    def channel_regex(self) -> re.Pattern[str]:
        return re.compile(self.scribe_channel_pattern)

    @staticmethod
    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    def require(self, *names: str) -> None:
        """Fail with the first of `names` (field names) that is unset or empty."""
        for name in names:
            if not getattr(self, name):
                raise SettingsError(f"{name.upper()} is required but not set")


def masked_url(url: str) -> str:
    """A database URL fit for a log line or an error message: no password."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "<unparseable URL>"
    # libpq and asyncpg also take the password as a query parameter (`?password=…`).
    return _SECRET_PARAM.sub(r"\1***", parsed.render_as_string(hide_password=True))


def _check_env_file(path: Path) -> None:
    """python-dotenv skips a line it cannot parse with a warning, and the setting silently takes its
    default: refuse the file instead, naming the line."""
    if not path.is_file():
        return
    from dotenv.parser import parse_stream

    try:
        bindings = list(parse_stream(io.StringIO(path.read_text(encoding="utf-8"))))
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is invalid: not UTF-8 text") from None
    for binding in bindings:
        if binding.error:
            # The variable's name only: the rest of the line may be a secret.
            name = _ENV_NAME.match(binding.original.string)
            variable = name.group(1) if name else "a setting"
            raise SettingsError(
                f"{variable} is invalid: line {binding.original.line} of {path} does not parse"
            )


def load_settings(**overrides: object) -> Settings:
    if "_env_file" not in overrides:
        _check_env_file(Path(str(Settings.model_config.get("env_file") or ".env")))
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        message = str(err["msg"]).removeprefix("Value error, ").splitlines()[0]
        if err["loc"]:
            variable = str(err["loc"][0]).upper()
        else:  # a rule across settings names the one it blames: "VARIABLE: why"
            variable, _, message = message.partition(": ")
        raise SettingsError(f"{variable} is invalid: {message}") from None
