from __future__ import annotations

from pathlib import Path

import pytest

from bot.capture.classify import Classifier, classify
from bot.capture.rules import Rule, RulesError, load_rules

SHIPIT = "Shipped checkout-api v1.4.3 to production (job 8812)"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_team_rule_changes_the_classification_of_that_bots_message(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        r"""
rules:
  - name: shipit
    bot_name: ShipIt
    match: 'Shipped (?P<service>[\w-]+) (?P<version>v[\d.]+) to (?P<environment>\w+)'
    kind: rollback
""",
    )
    rules = load_rules(path)
    assert classify(SHIPIT, True).kind == "deploy"
    result = Classifier(rules).classify(SHIPIT, True, bot_name="shipit")
    assert result.kind == "rollback"
    assert dict(result.refs) == {"service": "checkout-api", "version": "v1.4.3", "environment": "production"}
    assert result.source == "rule:shipit"
    # Another bot posting the same words is left to the built-in rules.
    assert Classifier(rules).classify(SHIPIT, True, bot_name="other-bot").kind == "deploy"


def test_bot_id_only_rule_and_plain_list_form(tmp_path: Path) -> None:
    path = _write(tmp_path, "- bot_id: B0DEPLOY\n  kind: deploy\n")
    rules = load_rules(path)
    assert Classifier(rules).classify("something happened", True, bot_id="B0DEPLOY").kind == "deploy"
    assert Classifier(rules).classify("something happened", True, bot_id="B0OTHER").kind == "other"


def test_empty_file_means_no_rules(tmp_path: Path) -> None:
    assert load_rules(_write(tmp_path, "")) == []
    assert load_rules(_write(tmp_path, "rules:\n")) == []


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("rules:\n  - kind: deploy\n    match: '(unclosed'\n", 3, "invalid regex"),
        ("rules:\n  - bot_name: x\n    kind: deployed\n", 3, "unknown kind"),
        ("rules:\n  - bot_name: x\n    kind: deploy\n  - bot_name: [y\n", 4, "invalid YAML"),
        ("rules:\n  - kind: deploy\n", 2, "needs bot_name, bot_id or match"),
        ("rules:\n  - bot_name: x\n    kind: deploy\n    colour: red\n", 4, "unknown key"),
        ("rules:\n  - bot_name: x\n    kind: deploy\n    match: '(?P<owner>\\w+)'\n", 4, "not ref keys"),
        ("rulez: []\n", 1, "unknown top-level key"),
        ("rules: 3\n", 1, "expected a list"),
        ("rules:\n  - bot_name: x\n", 2, "has no kind"),
    ],
)
def test_invalid_files_raise_one_line_errors_with_the_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"cannot read"):
        load_rules(tmp_path / "absent.yaml")


def test_rule_apply_is_pure() -> None:
    rule = Rule(kind="ack", bot_name="Opsbot")
    assert rule.apply("x", bot_name="opsbot") == ("ack", {})
    assert rule.apply("x", bot_name=None) is None


def test_pattern_is_accepted_for_match(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "rules:\n  - bot_name: shipit\n    pattern: 'shipped (?P<service>[\\w-]+)'\n    kind: deploy\n",
    )
    (rule,) = load_rules(path)
    result = Classifier([rule]).classify("shipped payments v9.9.1", True, bot_name="shipit")
    assert (result.kind, dict(result.refs)) == ("deploy", {"service": "payments"})
    both = _write(tmp_path, "- bot_name: x\n  match: a\n  pattern: b\n  kind: deploy\n")
    with pytest.raises(RulesError, match=r":3: give either match or pattern"):
        load_rules(both)
