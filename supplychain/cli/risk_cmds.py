"""Commands about risk: ``exposure``, ``concentration`` and ``stress-test``.

Each takes a model file (or a scenario file: its model, overrides applied), prints a
ranked table, or the result as JSON with ``--json``, and writes CSV rows with ``--csv``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from supplychain.cli import app
from supplychain.cli.common import guarded, out, print_json, write_rows
from supplychain.graph.concentration import concentration as concentration_of
from supplychain.graph.exposure import exposure_by_country
from supplychain.io import load_any
from supplychain.model.schema import DEFAULT_HORIZON
from supplychain.reports.risk_report import render_concentration, render_exposure, render_stress
from supplychain.risk.stress import stress_test as run_stress_test

_MODEL_HELP = "a model file, or a scenario file (its model, with the scenario's overrides)"
_CSV_HELP = "also write the rows as CSV to this file"


@app.command()
@guarded
def exposure(
    model_file: Path = typer.Argument(..., metavar="MODEL", help=_MODEL_HELP, show_default=False),
    country: Optional[str] = typer.Option(None, "--country", help="one country code or group (default: all but home)"),
    parts: bool = typer.Option(False, "--parts", help="also list every dependent part per country"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help=_CSV_HELP),
) -> None:
    """Which parts and end items depend on each country through every tier.

    Ranked by the planned output value per period that comes from the country; the
    facility (located) and owner (owned) readings are listed apart.
    """
    model, _ = load_any(model_file)
    result = exposure_by_country(model, country=country)
    if csv_file is not None:
        write_rows(csv_file, result.table())
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(render_exposure(result, parts=parts or country is not None))


@app.command()
@guarded
def concentration(
    model_file: Path = typer.Argument(..., metavar="MODEL", help=_MODEL_HELP, show_default=False),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="show only the N most concentrated parts"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help=_CSV_HELP),
) -> None:
    """Supply concentration per part (HHI by country) and the single points of failure."""
    model, _ = load_any(model_file)
    result = concentration_of(model)
    if csv_file is not None:
        write_rows(csv_file, result.table())
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(render_concentration(result, top=top))


class StressBy(str, Enum):
    country = "country"
    supplier = "supplier"
    part = "part"


@app.command("stress-test")
@guarded
def stress_test(
    model_file: Path = typer.Argument(..., metavar="MODEL", help=_MODEL_HELP, show_default=False),
    by: StressBy = typer.Option(StressBy.country, "--by", help="disrupt each country, supplier or part in turn"),
    recovery_time: Optional[int] = typer.Option(
        None, "--recovery-time", min=0,
        help="periods a disruption lasts where the supplier gives no recovery_time (default: the horizon)"),
    horizon: Optional[int] = typer.Option(
        None, "--horizon", min=1, help=f"periods simulated (default: the scenario's, else {DEFAULT_HORIZON})"),
    start: int = typer.Option(0, "--start", min=0, help="period each disruption starts"),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="keep only the N worst rows"),
    reach: str = typer.Option("located,owned", "--reach",
                              help="how a country row reaches suppliers: located, owned, or both"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help=_CSV_HELP),
) -> None:
    """Disrupt every country (or supplier, or part) in turn and rank what each costs.

    All disruptions are simulated in one batch; each row also shows the LP time to
    survive and the LP impact over its recovery time, the risk exposure index and why.
    """
    model, scenario = load_any(model_file)
    result = run_stress_test(model, scenario=scenario, by=by.value, recovery_time=recovery_time, horizon=horizon,
                             start=start, reach=tuple(r.strip() for r in reach.split(",") if r.strip()))
    if top is not None:
        result = result.top(top)
    if csv_file is not None:
        write_rows(csv_file, result.table())
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(render_stress(result, width=out.width))
