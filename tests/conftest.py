"""Shared fixtures: the test data folder, a file writer, and a small valid model as data."""

from __future__ import annotations

import copy
import os
import textwrap
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# CLI tests compare plain text: rich must not colour output a CI runner asks it to force.
# Set before any test imports the CLI, whose consoles read these once when created.
for _var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
    os.environ.pop(_var, None)

# The smallest useful model: DESIGN.md's one-part line as plain data. Tests copy it
# and break one thing at a time.
BASE = {
    "name": "one-part line",
    "home": "TR",
    "period": "week",
    "suppliers": {
        "xcorp": {"name": "X Corp", "country": "CA"},
        "plant": {"name": "Our plant", "country": "TR"},
    },
    "parts": {
        "widget": {"name": "Widget", "unit_cost": 1000, "bom": {"gear": 1}, "sources": [{"supplier": "plant"}]},
        "gear": {"name": "Gear", "unit_cost": 50, "stock": 35, "sources": [{"supplier": "xcorp", "lead_time": 2}]},
    },
    "demand": {"widget": {"rate": 10, "unit_value": 1000}},
}


@pytest.fixture
def data_dir() -> Path:
    """The folder of hand-written model and scenario files."""
    return DATA


@pytest.fixture
def base() -> dict:
    """A fresh deep copy of the one-part line model as plain data, free to mutate."""
    return copy.deepcopy(BASE)


@pytest.fixture
def write(tmp_path):
    """``write(name, text)`` -> path of a file in a temporary folder (text is dedented)."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
