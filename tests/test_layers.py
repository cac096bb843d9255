"""The package's layers point down (pyproject.toml, [tool.importlinter]).

``cli -> reports -> risk -> sim -> graph | io | synthetic -> network -> model -> errors``:
a module never imports from a layer above its own. The check is import-linter's, run
on the package as it is and on a copy with one upward import planted, which it must
refuse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import importlinter  # noqa: F401 - a test dependency: without it the check must fail, not skip

ROOT = Path(__file__).resolve().parent.parent


def lint(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    """import-linter's command line on the package found first from ``cwd``."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    env = {**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", code, "--config", str(config), "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]


def test_the_layers_name_every_subpackage():
    # a new subpackage must take its place in the layers, or the check would not see it
    listed = {m.strip() for layer in contract()["contracts"][0]["layers"] for m in layer.split("|")}
    found = {f"supplychain.{p.stem}" for p in (ROOT / "supplychain").iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
    assert found <= listed, sorted(found - listed)


def test_the_package_keeps_its_layers():
    run = lint(ROOT, ROOT / "pyproject.toml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_an_upward_import_breaks_the_check(tmp_path):
    shutil.copytree(ROOT / "supplychain", tmp_path / "supplychain",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # the model layer reaching up into the simulation
    (tmp_path / "supplychain" / "model" / "upward.py").write_text(
        "from supplychain.sim import simulate  # an upward import\n", encoding="utf-8")
    run = lint(tmp_path, tmp_path / "pyproject.toml")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "0 kept, 1 broken" in run.stdout
    assert "supplychain.model.upward -> supplychain.sim" in run.stdout
