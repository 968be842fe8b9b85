"""The house rules about imports: import-linter's contracts (pyproject.toml) hold, no two modules of
`bot` import each other in a cycle, and the pure core reaches no I/O library by any chain — checked
by name pattern too, so a module split into `refs_*.py` siblings is still covered."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_CORE = (
    "bot.capture.classify*",
    "bot.capture.refs*",
    "bot.capture.entries",
    "bot.capture.catalogue",
    "bot.postmortem.assemble",
    "bot.postmortem.metrics",
    "bot.postmortem.evidence*",
    "bot.postmortem.render",
    "bot.postmortem.lineage*",
    "bot.followups.grammar",
    "bot.followups.policy",
)
IO_LIBRARIES = ("slack_sdk", "slack_bolt", "sqlalchemy", "sqlmodel", "aiohttp")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        "bot", "storage", include_external_packages=True, exclude_type_checking_imports=True
    )


def module_cycles(graph: grimp.ImportGraph, modules: Iterable[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), among `modules` only."""
    inside = set(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v) & inside):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(inside):
        if module not in index:
            visit(module)
    return found


def test_import_linter_contracts_hold() -> None:
    # The console script `make test` runs, from the interpreter's own environment.
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_no_import_cycle_among_bot_modules(graph: grimp.ImportGraph) -> None:
    bot_modules = [m for m in graph.modules if m == "bot" or m.startswith("bot.")]
    assert len(bot_modules) > 50  # the graph really is the project's
    assert module_cycles(graph, bot_modules) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    toy = grimp.ImportGraph()
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        toy.add_import(importer=importer, imported=imported)
    assert module_cycles(toy, toy.modules) == [["p.a", "p.b", "p.c"]]


def test_pure_core_reaches_no_io_library_by_any_chain(graph: grimp.ImportGraph) -> None:
    core = sorted(m for m in graph.modules if any(fnmatch.fnmatchcase(m, p) for p in PURE_CORE))
    assert {"bot.capture.classify", "bot.postmortem.render", "bot.followups.policy"} <= set(core)
    leaks = [
        (module, library)
        for module in core
        for library in IO_LIBRARIES
        if graph.chain_exists(importer=module, imported=library)
    ]
    assert leaks == []
