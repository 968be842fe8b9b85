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
