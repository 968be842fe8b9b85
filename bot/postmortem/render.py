"""Render a `Report` to Markdown with Jinja2 templates, in Jinja2's sandbox.

User text only ever enters as data (context values), never as template source, so `{{ 7*7 }}` in a
message stays literal. Autoescape is off because the output is Markdown, not HTML; instead every
`{{ … }}` output passes `markdown_safe` (the sandbox's `finalize`), so no template, built-in or custom,
can carry a raw HTML tag or a `javascript:` link from a message into the draft. Table cells go through
`md_cell`, and the whole output passes `neutralise_mentions` last, so even a custom template that
prints raw text cannot post a working `<!channel>`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, pass_context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

import bot

from . import mermaid
from .assemble import Report, TimelineRow, iso_in
from .metrics import DEFINITIONS, format_duration
from .text import md_cell, md_inline, neutralise_mentions, one_line, truncate, wire_markdown

SUFFIX = ".md.j2"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# A single message can be 40,000 characters; a table cell beyond this helps nobody reading the draft.
TIMELINE_TEXT_MAX = 8000
# Marks a timeline kind whose confidence is weak (bot.domain.CONFIDENCE_LEVELS).
UNCONFIRMED = "unconfirmed"


class TemplateProblem(Exception):
    """A template that cannot be found, parsed or rendered, with the line where it went wrong."""

    def __init__(self, name: str, lineno: int | None, message: str, file: str | None = None) -> None:
        self.name = name
        self.lineno = lineno
        self.message = " ".join(str(message).split()) or "unknown error"
        self.file = file
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"template {self.name!r}"
        if self.file and self.file != self.name + SUFFIX:
            where += f" ({self.file})"
        if self.lineno is not None:
            where += f" line {self.lineno}"
        return f"{where}: {self.message}"


def markdown_safe(value: object) -> object:
    """Text as it may appear in the draft (the finalize of every `{{ … }}`): user text arrives in
    Slack's wire form and `wire_markdown` shows it as typed, mentions read as names (`<@U1|alice>` →
    `@alice`), no HTML tag can open, no entity can be decoded and no script link run. Output already
    made safe is marked `Markup` and passes unchanged."""
    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    return wire_markdown(value)


def builtin_templates_dir() -> Path:
    """`bot/_templates` in an installed wheel, `templates/` at the root of a source checkout."""
    here = Path(bot.__file__).parent
    packaged = here / "_templates"
    if packaged.is_dir():
        return packaged
    return here.parent / "templates"


def _local(ctx: Any, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    if value is None:
        return "unknown"
    return value.astimezone(ctx["report"].tz).strftime(fmt)


def _iso(ctx: Any, value: datetime | None) -> str:
    return iso_in(value, ctx["report"].tz) if value is not None else "unknown"


def _utc(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    return value.astimezone(UTC).strftime(fmt) if value is not None else "unknown"


def _duration(value: timedelta | float | None) -> str:
    return format_duration(value)


def _or_prompt(value: object, prompt: str) -> str:
    """The value, or an author prompt in italics when it is unknown."""
    if value is None or value == "" or value == ():
        return f"_{prompt}_"
    return str(value)


def timeline_table(rows: tuple[TimelineRow, ...]) -> Markup:
    """The `ts | kind | service | ref | summary` table of seed 000, built in Python for speed (each
    cell made safe here, so the table is marked as such). A kind the bot is unsure of says so (the
    timeline partial explains the marker)."""
    out = ["| ts | kind | service | ref | summary |", "| --- | --- | --- | --- | --- |"]
    append = out.append
    safe = markdown_safe
    for r in rows:
        summary = f"{r.author}: {r.text}" if r.author else r.text
        kind = f"{r.kind} ({UNCONFIRMED})" if r.unconfirmed else r.kind
        append(
            f"| {r.iso} | {kind} | {md_cell(safe(r.service))} | {md_cell(safe(r.ref))} | "
            f"{md_cell(safe(summary), TIMELINE_TEXT_MAX)} |"
        )
    return Markup("\n".join(out))


def _problem_location(exc: BaseException) -> tuple[int | None, str | None]:
    """The innermost template frame of a rendering error (Jinja rewrites frames to template lines)."""
    lineno = file = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            lineno, file = tb.tb_lineno, filename
        tb = tb.tb_next
    return lineno, file


class TemplateRenderer:
    """Finds templates by name (custom directory first, then the built-in ones) and renders reports."""

    def __init__(self, extra_dir: Path | None = None) -> None:
        self.builtin_dir = builtin_templates_dir()
        self.extra_dir = Path(extra_dir) if extra_dir else None
        self.dirs = [d for d in (self.extra_dir, self.builtin_dir) if d is not None]
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in self.dirs]),
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=markdown_safe,
        )
        self.env.filters.update(
            md_cell=md_cell,
            md_inline=md_inline,
            one_line=one_line,
            clip=truncate,
            iso=pass_context(_iso),
            utc=_utc,
            local=pass_context(_local),
            duration=_duration,
            or_prompt=_or_prompt,
        )

    def names(self) -> list[str]:
        found: set[str] = set()
        for d in self.dirs:
            if d.is_dir():
                found.update(p.name[: -len(SUFFIX)] for p in d.glob("*" + SUFFIX) if p.is_file())
        return sorted(found)

    def _relative(self, filename: str | None) -> str | None:
        if filename is None:
            return None
        path = Path(filename)
        for d in self.dirs:
            try:
                return path.resolve().relative_to(d.resolve()).as_posix()
            except ValueError:
                continue
        return path.name

    def context(self, report: Report) -> dict[str, Any]:
        """Everything a template can use; documented in docs/postmortem.md."""
        return {
            "report": report,
            "h": report.header,
            "m": report.metrics,
            "timeline": report.timeline,
            "timeline_table": timeline_table(report.timeline),
            "unconfirmed": tuple(r for r in report.timeline if r.unconfirmed),
            "decisions": report.decisions,
            "notes": report.notes,
            "changes": report.changes,
            "deploys": tuple(c for c in report.changes if c.kind == "deploy"),
            "rollbacks": tuple(c for c in report.changes if c.kind == "rollback"),
            "rollback": report.rollback,
            "rollback_pairs": report.rollbacks,
            "alerts": report.alerts,
            "claims": report.claims,
            "artifacts": report.artifacts,
            "flags": report.flags,
            "actions": report.actions,
            "action_groups": _action_groups(report),
            "responders": report.responders,
            "counts": report.counts,
            "mermaid": mermaid.gantt(report),
            "metric_definitions": DEFINITIONS,
        }

    def render(self, name: str, report: Report) -> str:
        if not _NAME.match(name) or name not in self.names():
            available = ", ".join(self.names()) or "none"
            raise TemplateProblem(name, None, f"no such template (available: {available})")
        try:
            template = self.env.get_template(name + SUFFIX)
            text = template.render(self.context(report))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                name, exc.lineno, exc.message or "syntax error", self._relative(exc.filename) or exc.name
            ) from None
        except jinja2.TemplateNotFound as exc:
            lineno, file = _problem_location(exc)
            raise TemplateProblem(
                name, lineno, f"included template not found: {exc.name}", self._relative(file)
            ) from None
        except RecursionError:
            raise TemplateProblem(name, None, "template recursion too deep") from None
        except Exception as exc:  # a custom template can fail in any way; the bot must not
            lineno, file = _problem_location(exc)
            raise TemplateProblem(
                name, lineno, f"{type(exc).__name__}: {exc}", self._relative(file)
            ) from None
        return neutralise_mentions(text)


ACTION_CATEGORIES = ("Prevent", "Detect", "Respond", "Long-term")


def _action_groups(report: Report) -> tuple[tuple[str, tuple], ...]:
    return tuple((cat, tuple(a for a in report.actions if a.category == cat)) for cat in ACTION_CATEGORIES)
