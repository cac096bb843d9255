"""The examples in docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "supplychain.model.checks",
    "supplychain.io.safe_yaml",
    "supplychain.graph.build",
    "supplychain.graph.bom",
    "supplychain.reports.model_report",
    "supplychain.reports.sim_report",
    "supplychain.io.csv_out",
    "supplychain.graph.exposure",
    "supplychain.graph.concentration",
    "supplychain.risk.lp",
    "supplychain.risk.stress",
    "supplychain.reports.format",
    "supplychain.model.periods",
    "supplychain.model.validate",
    "supplychain.network",
    "supplychain.network.rules",
    "supplychain.network.whatif",
    "supplychain.sim.explain",
    "supplychain.sim.compare",
    "supplychain.risk.montecarlo",
    "supplychain.sim.results",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
