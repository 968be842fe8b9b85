"""Who a paging tool says acknowledged its page: the person, not the tool that posted the message.

Read from the stored text of an `ack` entry the capture's integration parsers recognised (the
post-mortem may not import the capture package, which imports it).

PagerDuty writes "Acknowledged by Bo Chen" (or "Bo Chen acknowledged incident #48240"), Grafana
OnCall "Acknowledged by @bo", Opsgenie "bo@acme.io acknowledged alert #12".
"""

from __future__ import annotations

import re

_BY = re.compile(r"\backnowledged by\s{1,2}@?([^\n:#()*_<>]{1,60}?)\s*(?:[:\n#(*_<>]|$)", re.I)
_SUBJECT = re.compile(
    r"^\W{0,4}@?([\w.@+'-]{1,40}(?: [\w.@+'-]{1,40}){0,2}) acknowledged (?:the )?(?:incident|alert|page)\b",
    re.I,
)


def acknowledged_by(text: str) -> str | None:
    """The person a paging tool's acknowledgement names, or None when it names nobody."""
    found = _BY.search(text) or _SUBJECT.search(text)
    if found is None:
        return None
    return found.group(1).strip() or None
