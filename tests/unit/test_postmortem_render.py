"""Template lookup, SCRIBE_TEMPLATES_DIR overrides, and broken templates reported with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.postmortem.render import TemplateProblem, TemplateRenderer, builtin_templates_dir
from tests.unit.inc1042_entries import report_for


@pytest.fixture(scope="module")
def report():
    return report_for()


def test_builtin_dir_and_names():
    assert (builtin_templates_dir() / "postmortem.md.j2").is_file()
    assert {"postmortem", "rollback", "brief"} <= set(TemplateRenderer().names())


def test_custom_dir_adds_and_overrides(tmp_path: Path, report):
    (tmp_path / "mine.md.j2").write_text("# {{ h.incident_id }} by {{ h.commander }}\n")
    (tmp_path / "brief.md.j2").write_text("overridden {{ m.time_to_acknowledge.text }}\n")
    r = TemplateRenderer(tmp_path)
    assert "mine" in r.names() and "postmortem" in r.names()
    assert r.render("mine", report) == "# INC-1042 by carol\n"
    assert r.render("brief", report) == "overridden 1 min\n"
    # Built-in partials stay available to custom templates.
    (tmp_path / "withpartial.md.j2").write_text('{% include "partials/alerts.j2" %}')
    assert "ALT-CPU-1042" in r.render("withpartial", report)


def test_unknown_template(report):
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer().render("nope", report)
    assert "nope" in str(info.value) and "postmortem" in str(info.value)
    with pytest.raises(TemplateProblem):
        TemplateRenderer().render("../templates/postmortem", report)


def test_syntax_error_names_template_and_line(tmp_path: Path, report):
    (tmp_path / "broken.md.j2").write_text("# ok\n\n{% for x in timeline %}\n{{ x.kind }\n")
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer(tmp_path).render("broken", report)
    problem = info.value
    assert problem.name == "broken" and problem.lineno == 4
    assert str(problem).startswith("template 'broken' line 4: ")
    assert "\n" not in str(problem)


def test_runtime_error_names_line(tmp_path: Path, report):
    (tmp_path / "typo.md.j2").write_text("line one\n{{ h.incident_id }}\n{{ reprot.header }}\n")
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer(tmp_path).render("typo", report)
    assert info.value.lineno == 3 and "reprot" in str(info.value)
    (tmp_path / "div.md.j2").write_text("\n{{ 1 // 0 }}\n")
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer(tmp_path).render("div", report)
    assert info.value.lineno == 2 and "ZeroDivisionError" in str(info.value)


def test_error_in_partial_names_the_partial(tmp_path: Path, report):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "bad.j2").write_text("fine\n{{ nothing.here }}\n")
    (tmp_path / "outer.md.j2").write_text('{% include "partials/bad.j2" %}\n')
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer(tmp_path).render("outer", report)
    assert info.value.lineno == 2
    assert "partials/bad.j2" in str(info.value)


def test_missing_include(tmp_path: Path, report):
    (tmp_path / "inc.md.j2").write_text('a\n{% include "partials/missing.j2" %}\n')
    with pytest.raises(TemplateProblem) as info:
        TemplateRenderer(tmp_path).render("inc", report)
    assert "partials/missing.j2" in str(info.value)
