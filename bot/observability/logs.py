"""Log set-up for every command: text or JSON lines on stderr, with the channel and incident a
line is about when the code knows them.

JSON uses python-json-logger: it is a `logging.Formatter`, so every library's records (aiohttp,
Bolt, SQLAlchemy, Alembic) come out in the same shape with no change at the call sites; structlog
would have meant routing stdlib logging through its own pipeline for the same result.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose INFO lines are about their own machinery (migration steps, job ticks, slack-sdk's
# "A retry handler found" before each retry of a call that will be logged as failed anyway).
CHATTY = ("alembic", "apscheduler", "slack_sdk.web")

_context: ContextVar[dict[str, object] | None] = ContextVar("scribe_log_context", default=None)


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Attach `channel=…`/`incident=…` to every record logged inside (this task and its children)."""
    known = {k: v for k, v in fields.items() if v is not None}
    token = _context.set({**(_context.get() or {}), **known})
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class _ChatterIsDebug(logging.Filter):
    """The CHATTY libraries' INFO lines (each migration step, job run, retry) read as DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.name.startswith(CHATTY):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


class _OutageIsOneLine(logging.Filter):
    """During a database or network outage every request and every retry fails the same way (Bolt's
    "Failed to run listener function", the capture writer): the reason in one line, not a traceback
    each time. Anything else keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            reason = outage(record.exc_info[1])
            if reason is not None:
                record.msg, record.args = f"{record.getMessage()} ({reason})", None
                record.exc_info, record.exc_text = None, None
        return True


class _BoltTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client we hand it wins; that is the
    intended set-up, not something for the operator to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def _thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    logging.getLogger("scribe").error("uncaught exception in thread %s", name, exc_info=exc_info)


def configure_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    """One handler on the root logger (replacing any earlier one, so tests may call it again)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_ContextFilter())
    handler.addFilter(_ChatterIsDebug())
    handler.addFilter(_OutageIsOneLine())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _BoltTokenNotice) for f in bolt.filters):
        bolt.addFilter(_BoltTokenNotice())
    # An exception in a library's thread (aiosqlite's worker finding the loop closed at shutdown)
    # would be printed by threading's default hook as plain text: in JSON mode, not one object.
    threading.excepthook = _thread_exception
    for name in CHATTY:
        # Their INFO is our DEBUG: produced only when the operator asks for DEBUG.
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))


def outage(exc: BaseException) -> str | None:
    """One line for an exception that only says the database or the network is down (logged every
    retry: a traceback each time would bury the log); None for anything else, which deserves one."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError):
        return None  # a path the bot was given: a mistake to show in full, not an outage
    if not isinstance(exc, OSError | TimeoutError | OperationalError | InterfaceError | DisconnectionError):
        return None
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
