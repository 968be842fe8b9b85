"""A non-editable install (`pip install .`) must find templates, migrations and demo data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_DEMO = (
    "import bot, sys; from bot.cli import main; print(bot.__file__, file=sys.stderr);"
    " sys.exit(main(['demo', '--keep', 'out']))"
)


def test_wheel_carries_data_files_and_runs_the_demo_outside_the_source_tree(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    wheel = next((tmp_path / "dist").glob("incident_scribe-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "bot/_templates/postmortem.md.j2",
        "bot/_templates/rollback.md.j2",
        "bot/_templates/brief.md.j2",
        "storage/migrations/env.py",
        "storage/migrations/versions/0001_initial_schema.py",
        "bot/demo_data/inc1042.json",
    ):
        assert required in names, required
    assert any(n.endswith("entry_points.txt") for n in names)

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCRIBE_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(site)  # ahead of the editable checkout on sys.path
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", RUN_DEMO],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(site) in result.stderr  # the installed copy ran, not the source tree
    assert "Failed version v2.14.0" in result.stdout
    assert (work / "out" / "INC-1042-postmortem-v1.md").is_file()
