"""Access log for `scribe serve`: what went wrong or was slow, not every event Slack delivered.

Slack posts one request per message in every channel the bot is in; a line for each 200 buries
the failures and costs more CPU than classifying the message did. Requests that failed (>= 400),
or took longer than Slack's patience allows for comfort, are logged with aiohttp's usual format.
"""

from __future__ import annotations

import logging

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

SLOW_SECONDS = 1.0  # a third of Slack's 3 s limit


class ProblemAccessLogger(AccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if response.status >= 400 or time >= SLOW_SECONDS or self.logger.isEnabledFor(logging.DEBUG):
            super().log(request, response, time)
