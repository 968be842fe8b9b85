"""AWS CloudWatch alarms forwarded to Slack by the two common Lambdas.

* terraform-aws-modules/terraform-aws-notify-slack `functions/notify_slack.py`
  `format_cloudwatch_alarm`: text `AWS CloudWatch notification - <alarm>`, then Alarm Name /
  Alarm Description / Alarm reason / Old State / Current State / Link to Alarm fields, values in
  backticks (older releases and forks: the same fields, no text, no backticks).
* blueimp/aws-lambda `cloudwatch-alarm-to-slack/index.js` `buildSlackMessage`: title = alarm name,
  text = alarm description, fields Status (the new state) and Region.

The new state decides: `ALARM` fires, `OK` resolves, `INSUFFICIENT_DATA` is no alert event.
"""

from __future__ import annotations

import re

from bot.capture.integrations.common import field_line, field_value
from bot.capture.integrations.registry import Match, Message, integration

_TITLE = re.compile(r"^AWS CloudWatch notification - ([^\n]{1,255})$", re.M)
_ALARM_NAME = field_line("Alarm Name")
_CURRENT = field_line("Current State")
_STATES = {"ALARM": "alert_firing", "OK": "alert_resolved", "INSUFFICIENT_DATA": "other"}


def _match(state: str | None, alarm: str | None) -> Match | None:
    kind = _STATES.get(state or "")
    if kind is None:
        return None
    return Match(kind, "aws-cloudwatch", {"alert": alarm} if alarm and kind != "other" else {})


@integration("aws_cloudwatch", order=14)
def parse(msg: Message) -> Match | None:
    text = msg.text
    if "Current State:" in text and "Alarm Name:" in text:
        title = _TITLE.search(text) if "CloudWatch notification" in text else None
        alarm = field_value(text, _ALARM_NAME) or (title.group(1).strip() if title else None)
        return _match(field_value(text, _CURRENT), alarm)
    if "\nStatus: " not in text or "\nRegion: " not in text:
        return None
    lines = text.split("\n")
    # blueimp's layout is the whole message: name, optional description, Status, Region.
    if (
        not 3 <= len(lines) <= 4
        or not lines[-2].startswith("Status: ")
        or not lines[-1].startswith("Region: ")
    ):
        return None
    return _match(lines[-2][len("Status: ") :].strip(), lines[0].strip())
