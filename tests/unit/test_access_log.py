"""serve's access log keeps failures and slow requests, not every event Slack delivered."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.access_log import SLOW_SECONDS, ProblemAccessLogger


@pytest.mark.parametrize(
    ("status", "seconds", "logged"),
    [
        (200, 0.002, False),
        (404, 0.002, True),
        (401, 0.001, True),
        (500, 0.1, True),
        (200, SLOW_SECONDS, True),
    ],
)
def test_problem_requests_are_logged(
    caplog: pytest.LogCaptureFixture, status: int, seconds: float, logged: bool
) -> None:
    logger = logging.getLogger("test.access")
    access = ProblemAccessLogger(logger, '%a "%r" %s %Tf')
    with caplog.at_level(logging.INFO, logger="test.access"):
        assert access.enabled
        access.log(make_mocked_request("POST", "/slack/events"), web.Response(status=status), seconds)
    lines = [r.getMessage() for r in caplog.records]
    assert bool(lines) is logged
    if logged:
        assert f'"POST /slack/events HTTP/1.1" {status}' in lines[0]
