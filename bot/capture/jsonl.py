"""`scribe classify`: JSON lines in, JSON lines out, one output line per input line, in order.

Input line forms:
* `{"text": "...", "bot": true|false}` (optionally `bot_name` / `bot_id`, passed to team rules);
* any other line - plain text, or JSON that is not such an object - is a human message whose text is
  the line itself (a JSON string literal is decoded first);
* a blank line is an empty human message and yields `{"kind": "other", "refs": {}}`, so output line N
  always answers input line N.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from bot.capture.classify import Classifier


def _parse(line: str) -> tuple[str, bool, str | None, str | None]:
    stripped = line.strip()
    if stripped[:1] in ("{", '"'):
        try:
            data: Any = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            bot_name = data.get("bot_name") if isinstance(data.get("bot_name"), str) else None
            bot_id = data.get("bot_id") if isinstance(data.get("bot_id"), str) else None
            return data["text"], data.get("bot") is True, bot_id, bot_name
        if isinstance(data, str):
            return data, False, None, None
    return line, False, None, None


def run_classify(lines: Iterable[str], out: TextIO, classifier: Classifier) -> None:
    for raw in lines:
        line = raw[:-1] if raw.endswith("\n") else raw
        line = line[:-1] if line.endswith("\r") else line
        text, is_bot, bot_id, bot_name = _parse(line)
        result = classifier.classify(text, is_bot, bot_id=bot_id, bot_name=bot_name)
        out.write(json.dumps({"kind": result.kind, "refs": dict(result.refs)}, ensure_ascii=False) + "\n")
        out.flush()  # a pipe reader gets each answer as soon as its line is classified
