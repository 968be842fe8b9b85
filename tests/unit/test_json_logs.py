"""JSON logs are one object per line, whatever writes to them: our loggers, a library's, and an
exception escaping a library's thread (which threading would otherwise print as plain text)."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from bot.observability.logs import configure_logging


def test_an_exception_in_a_thread_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    hook = threading.excepthook
    try:
        configure_logging("json", logging.INFO)

        def worker() -> None:
            raise RuntimeError("Event loop is closed")

        thread = threading.Thread(target=worker, name="_connection_worker_thread")
        thread.start()
        thread.join()
        logging.getLogger("scribe").info("after")
    finally:
        threading.excepthook = hook
        configure_logging("text", logging.INFO)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line parses
    assert [r["message"] for r in records] == [
        "uncaught exception in thread _connection_worker_thread",
        "after",
    ]
    assert "Event loop is closed" in records[0]["exc_info"] and records[0]["level"] == "ERROR"


def test_an_outage_is_one_line_and_a_bug_keeps_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    try:
        configure_logging("text", logging.INFO)
        log = logging.getLogger("slack_bolt.AsyncApp")
        for exc in (
            OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "Connect call failed")),
            ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
            IntegrityError("INSERT", {}, ValueError("duplicate key")),
            FileNotFoundError(2, "No such file", "templates/x.j2"),
        ):
            try:
                raise exc
            except Exception:
                log.exception("Failed to run listener function")
    finally:
        configure_logging("text", logging.INFO)
    err = capsys.readouterr().err
    assert err.count("Traceback") == 2  # the integrity error and the missing file: bugs, in full
    first, second = [line for line in err.splitlines() if "Failed to run listener function (" in line]
    assert "OperationalError" in first and "Connect call failed" in second
