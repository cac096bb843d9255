"""The ``simulate`` and ``explain`` commands: what a scenario does to every end item,
and why -- the flows each event stops and spares.

A scenario file runs its events over its horizon; a model file alone runs the baseline
(no event), which says so on stderr. The terminal report, ``--json`` (exactly the
result's ``to_dict()``) and ``--csv`` (one row per end item and period) come from
:mod:`supplychain.reports.sim_report`; the CSV file is written by :mod:`supplychain.io`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supplychain.cli import app
from supplychain.cli.common import err, guarded, out, print_json, write_rows
from supplychain.io import load_any
from supplychain.model.schema import DEFAULT_HORIZON
from supplychain.errors import SupplyChainError
from supplychain.reports.explain_report import render_explanation
from supplychain.reports.sim_report import render_comparison, render_simulation, simulation_dict
from supplychain.sim import simulate as run_simulation
from supplychain.sim.compare import compare as compare_results
from supplychain.sim.explain import explain as explain_scenario



def _stock_path(csv_file: Path) -> Path:
    """``out.csv`` -> ``out.stock.csv``: where ``--stock`` puts the per-part trajectories."""
    return csv_file.with_name(f"{csv_file.stem}.stock{csv_file.suffix or '.csv'}")


@app.command()
@guarded
def simulate(
    scenario_file: Path = typer.Argument(..., metavar="SCENARIO",
                                         help="a scenario file (or a model file: run with no event)",
                                         show_default=False),
    horizon: Optional[int] = typer.Option(
        None, "--horizon", min=1,
        help=f"periods to simulate (default: the scenario's, or {DEFAULT_HORIZON} for a model file)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    csv_file: Optional[Path] = typer.Option(
        None, "--csv", help="also write the per-period series (end item, period, planned, produced, lost, "
                            "bottleneck) to this CSV file"),
    stock: bool = typer.Option(
        False, "--stock", help="add per-part stock trajectories: a 'stock' key in --json, and FILE.stock.csv "
                               "beside the --csv file"),
) -> None:
    """When does the line stop, how much is lost, when does it recover, and which part binds.

    Time figures are in the model's periods, counted from the first event's start.
    """
    model, scenario = load_any(scenario_file)
    if scenario is None:
        err.print(f"{scenario_file} is a model file: running it with no event (the baseline)", markup=False)
        horizon = horizon or DEFAULT_HORIZON
    result = run_simulation(model, scenario, horizon=horizon, record_stock=stock)

    if csv_file is not None:
        write_rows(csv_file, result.table(), also=[(_stock_path(csv_file), result.stock_table())] if stock else [])
    if as_json:
        print_json(simulation_dict(result, stock=stock))
        return
    title = (scenario.name if scenario is not None else None) or (model.name if scenario is None else None)
    title = f"{title or scenario_file.stem} ({scenario_file.name})"
    out.print(render_simulation(result, title=title, model_name=model.name, width=out.width))


@app.command()
@guarded
def explain(
    scenario_file: Path = typer.Argument(..., metavar="SCENARIO", help="a scenario file", show_default=False),
    horizon: Optional[int] = typer.Option(None, "--horizon", min=1,
                                          help="periods to simulate (default: the scenario's)"),
    as_json: bool = typer.Option(False, "--json", help="print every flow as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="also write one row per event and flow to this CSV file"),
) -> None:
    """Which flows each event stops and why, which it leaves alone and why, and the
    path from each stopped flow to the end items it starves."""
    model, scenario = load_any(scenario_file)
    if scenario is None:
        raise SupplyChainError(f"{scenario_file} is a model file: explain needs a scenario (a file that names "
                               "its model and lists embargoes or disruptions)")
    result = explain_scenario(model, scenario, horizon=horizon)
    if csv_file is not None:
        write_rows(csv_file, result.table())
    if as_json:
        print_json(result.to_dict())
        return
    title = f"{scenario.name or scenario_file.stem} ({scenario_file.name})"
    out.print(render_explanation(result, title=title, model_name=model.name, width=out.width))


@app.command()
@guarded
def compare(
    scenario_files: list[Path] = typer.Argument(..., metavar="SCENARIO...",
                                                help="two or more scenario files; the first is the reference",
                                                show_default=False),
    horizon: Optional[int] = typer.Option(None, "--horizon", min=1,
                                          help="periods to simulate (default: each scenario's)"),
    as_json: bool = typer.Option(False, "--json", help="print the comparison as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="also write one row per end item and scenario"),
) -> None:
    """Several scenarios side by side: per end item, each one's loss, times and
    bottleneck, and the change against the first."""
    results, names = [], []
    for f in scenario_files:
        model, scenario = load_any(f)
        results.append(run_simulation(model, scenario, horizon=horizon or (None if scenario else DEFAULT_HORIZON)))
        names.append(f"{(scenario.name if scenario else None) or model.name or f.stem} ({f.name})")
    result = compare_results(results, names)  # the same file twice is numbered
    if csv_file is not None:
        write_rows(csv_file, result.table())
    if as_json:
        print_json(result.to_dict())
        return
    out.print(render_comparison(result, width=out.width))
