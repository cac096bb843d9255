"""The simulation: compile a model to arrays and run scenarios period by period.

``simulate(model, scenario)`` runs one scenario; ``simulate_batch(model, scenarios)``
runs K scenarios at once along a second array axis and gives the same numbers as K
single runs.
"""

from supplychain.sim.results import BatchResult, EndItemResult, EventWindow, SimulationResult

__all__ = ["BatchResult", "EndItemResult", "EventWindow", "SimulationResult", "simulate", "simulate_batch"]


def simulate(model, scenario=None, *, horizon=None, record_stock=False) -> SimulationResult:
    """Run one scenario (None: no event) and return its :class:`SimulationResult`."""
    return simulate_batch(model, [scenario], horizon=horizon, record_stock=record_stock)[0]


def simulate_batch(model, scenarios, *, horizon=None, record_stock=False) -> BatchResult:
    """Run K scenarios in one vectorised pass: a :class:`BatchResult`, one result per
    scenario in order, with one ``to_frame()`` for all of them."""
    from supplychain.sim.engine import run_batch

    return run_batch(model, list(scenarios), horizon=horizon, record_stock=record_stock)
