"""The built wheel works on its own: grammar and rule library travel inside the package."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from .conftest import EXAMPLES, REPO


def test_installed_wheel_classifies_from_an_unrelated_folder(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path / "dist"), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("scopecheck-*.whl")
    environment = tmp_path / "env"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    # The new environment borrows this one's dependencies (no network needed) but not its
    # editable scopecheck: a path line in a .pth file adds the folder without running its .pth files.
    site_packages = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (site_packages / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True, capture_output=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.check_output([python, "-c", "import scopecheck, scopecheck.resources as r; print(scopecheck.__file__); print(r.grammar_path())"], cwd=elsewhere, text=True)
    assert all(str(environment) in line for line in where.splitlines()), where

    result = subprocess.run(
        [environment / "bin" / "scopecheck", "classify", str(EXAMPLES / "harbor-vale" / "agreement.yaml"), str(EXAMPLES / "harbor-vale" / "tickets.json"), "--format", "csv"],
        cwd=elsewhere, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 39
    assert "HV-1012,project,office_relocation" in result.stdout
