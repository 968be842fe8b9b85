from __future__ import annotations

import io
import json

from bot.capture.classify import Classifier
from bot.capture.jsonl import run_classify
from bot.capture.rules import Rule


def _run(lines: list[str], classifier: Classifier | None = None) -> list[dict]:
    out = io.StringIO()
    run_classify(iter(lines), out, classifier or Classifier())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_line_per_input_line_in_order() -> None:
    results = _run(
        [
            '{"text": "Initiating rollback DEP-7781.", "bot": false}\n',
            '{"text": "[FIRING:1] HighErrorRate (prod checkout-api critical)", "bot": true}\n',
            "ack\n",
            "\n",
            '"all clear, closing INC-4412"\n',
            "{not json at all\n",
            '{"bot": true}\n',
            "should we roll back?",
        ]
    )
    assert results == [
        {"kind": "rollback", "refs": {"change_id": "DEP-7781"}},
        {
            "kind": "alert_firing",
            "refs": {"alert": "HighErrorRate", "environment": "prod", "service": "checkout-api"},
        },
        {"kind": "ack", "refs": {}},
        {"kind": "other", "refs": {}},
        {"kind": "resolved", "refs": {"ticket": "INC-4412"}},
        {"kind": "other", "refs": {}},
        {"kind": "other", "refs": {}},
        {"kind": "other", "refs": {}},
    ]


def test_output_keys_and_unicode() -> None:
    (result,) = _run(['{"text": "Rollback auf v2.13.2 läuft", "bot": false}'])
    assert set(result) == {"kind", "refs"}
    assert result == {"kind": "rollback", "refs": {"version": "v2.13.2"}}


def test_bot_name_reaches_team_rules() -> None:
    classifier = Classifier([Rule(kind="deploy", bot_name="shipit")])
    (result,) = _run(['{"text": "done", "bot": true, "bot_name": "shipit"}'], classifier)
    assert result["kind"] == "deploy"


def test_crlf_lines() -> None:
    assert _run(["ack\r\n", "on it\r\n"]) == [{"kind": "ack", "refs": {}}, {"kind": "ack", "refs": {}}]
