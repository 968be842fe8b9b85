"""Team capture rules from the `SCRIBE_RULES_FILE` YAML (pure parsing; the caller reads the path).

```yaml
rules:
  - name: shipit deploys            # optional, shown in errors and as the entry's source
    bot_name: shipit                # optional, case-insensitive equality with the poster's name
    bot_id: B024BE7LH               # optional, exact
    match: 'Deployed (?P<service>[\\w-]+) (?P<version>v[\\d.]+) to (?P<environment>\\w+)'
    kind: deploy
```

A rule needs `kind` and at least one of bot_name / bot_id / match (`pattern` is accepted as
another spelling of `match`). Named groups of `match` become
refs, so their names must be contract ref keys. Any problem raises `RulesError` with a one-line
`<path>:<line>: <reason>` message, the line taken from the YAML node that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.domain import KINDS, REF_KEYS

_KEYS = frozenset({"name", "bot_name", "bot_id", "match", "pattern", "kind", "source"})


class RulesError(ValueError):
    """An invalid rules file; str(error) is `<path>:<line>: <reason>`."""


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    pattern: re.Pattern[str] | None = None
    bot_name: str | None = None
    bot_id: str | None = None
    name: str | None = None
    source: str | None = field(default=None)

    def apply(
        self, text: str, *, bot_id: str | None = None, bot_name: str | None = None
    ) -> tuple[str, dict[str, str]] | None:
        """(kind, refs) when the rule matches this message, else None."""
        if self.bot_id is not None and self.bot_id != bot_id:
            return None
        if self.bot_name is not None and (bot_name or "").casefold() != self.bot_name.casefold():
            return None
        if self.pattern is None:
            return self.kind, {}
        m = self.pattern.search(text)
        if m is None:
            return None
        refs = {k: v for k, v in m.groupdict().items() if v}
        return self.kind, refs


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node, path: Path, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise RulesError(f"{path}:{_line(node)}: {what} must be a non-empty string")
    return str(node.value)


def _rule(node: yaml.Node, path: Path, index: int) -> Rule:
    if not isinstance(node, yaml.MappingNode):
        raise RulesError(f"{path}:{_line(node)}: rule {index} must be a mapping")
    values: dict[str, tuple[str, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in _KEYS:
            raise RulesError(
                f"{path}:{_line(key_node)}: unknown key {key!r} (expected one of {', '.join(sorted(_KEYS))})"
            )
        if key == "pattern":  # accepted spelling of `match`
            if "match" in values:
                raise RulesError(f"{path}:{_line(key_node)}: give either match or pattern, not both")
            key = "match"
        elif key == "match" and "match" in values:
            raise RulesError(f"{path}:{_line(key_node)}: give either match or pattern, not both")
        values[key] = (_scalar(value_node, path, key), value_node)
    if "kind" not in values:
        raise RulesError(f"{path}:{_line(node)}: rule {index} has no kind")
    kind, kind_node = values["kind"]
    if kind not in KINDS:
        raise RulesError(
            f"{path}:{_line(kind_node)}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})"
        )
    if not ({"bot_name", "bot_id", "match"} & values.keys()):
        raise RulesError(f"{path}:{_line(node)}: rule {index} needs bot_name, bot_id or match")
    pattern = None
    if "match" in values:
        source, match_node = values["match"]
        try:
            pattern = re.compile(source)
        except re.error as exc:
            raise RulesError(f"{path}:{_line(match_node)}: invalid regex: {exc}") from None
        unknown = set(pattern.groupindex) - set(REF_KEYS)
        if unknown:
            raise RulesError(
                f"{path}:{_line(match_node)}: named group(s) {', '.join(sorted(unknown))} "
                f"are not ref keys ({', '.join(REF_KEYS)})"
            )
    name = values.get("name", (None, None))[0]
    return Rule(
        kind=kind,
        pattern=pattern,
        bot_name=values.get("bot_name", (None, None))[0],
        bot_id=values.get("bot_id", (None, None))[0],
        name=name,
        source=values.get("source", (None, None))[0] or (f"rule:{name}" if name else "rule"),
    )


def parse_rules(text: str, path: Path) -> list[Rule]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # The context mark is where the broken construct starts (the unclosed `[` or quote); the
        # problem mark is often only the end of the file.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(" ".join(p for p in (exc.context, exc.problem) if p).split()) or "syntax error"
        raise RulesError(f"{path}:{line}: invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}:1: invalid YAML: {' '.join(str(exc).split())}") from None
    if root is None:
        return []
    items = root
    if isinstance(root, yaml.MappingNode):
        found: yaml.Node | None = None
        for key_node, value_node in root.value:
            if key_node.value != "rules":
                raise RulesError(
                    f"{path}:{_line(key_node)}: unknown top-level key {key_node.value!r} (expected 'rules')"
                )
            found = value_node
        if found is None or (isinstance(found, yaml.ScalarNode) and found.value in ("", "null", "~")):
            return []
        items = found
    if not isinstance(items, yaml.SequenceNode):
        raise RulesError(f"{path}:{_line(items)}: expected a list of rules")
    return [_rule(node, path, i + 1) for i, node in enumerate(items.value)]


def load_rules(path: Path) -> list[Rule]:
    """Read and validate a rules file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}:0: cannot read rules file: {exc.__class__.__name__}") from None
    return parse_rules(text, Path(path))
