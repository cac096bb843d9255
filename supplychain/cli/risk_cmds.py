"""Commands about risk: ``exposure``, ``concentration``, ``stress-test``,
``monte-carlo`` and ``mitigate``.

Each takes a model file (or a scenario file: its model, overrides applied), prints a
ranked table, or the result as JSON with ``--json``, and writes CSV rows with ``--csv``.
"""

from __future__ import annotations

import contextlib
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from supplychain.cli import app
from supplychain.cli.common import err, guarded, out, print_json, write_rows
from supplychain.graph.concentration import concentration as concentration_of
from supplychain.graph.exposure import exposure_by_country
from supplychain.errors import SupplyChainError
from supplychain.io import load_any
from supplychain.model.schema import DEFAULT_HORIZON
from supplychain.reports.mc_report import render_monte_carlo
from supplychain.reports.risk_report import render_concentration, render_exposure, render_stress
from supplychain.risk.montecarlo import monte_carlo as run_monte_carlo
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
    instant_alternates: bool = typer.Option(
        False, "--instant-alternates",
        help="LPs count every alternate and not-yet-qualified source from the start (textbook, looser)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help=_CSV_HELP),
) -> None:
    """Disrupt every country (or supplier, or part) in turn and rank what each costs.

    All disruptions are simulated in one batch; each row also shows the LP time to
    survive and the LP impact over its recovery time, the risk exposure index and why.
    """
    model, scenario = load_any(model_file)
    result = run_stress_test(model, scenario=scenario, by=by.value, recovery_time=recovery_time, horizon=horizon,
                             start=start, reach=tuple(r.strip() for r in reach.split(",") if r.strip()),
                             instant_alternates=instant_alternates)
    if top is not None:
        result = result.top(top)
    if csv_file is not None:
        write_rows(csv_file, result.table())
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(render_stress(result, width=out.width))


@app.command("monte-carlo")
@guarded
def monte_carlo_cmd(
    scenario_file: Path = typer.Argument(..., metavar="SCENARIO", help="a scenario file with uncertain events",
                                         show_default=False),
    trials: int = typer.Option(10_000, "--trials", min=1, help="trials to draw and simulate"),
    seed: int = typer.Option(1, "--seed", help="the seed: the same seed gives the same numbers on any executor"),
    horizon: Optional[int] = typer.Option(None, "--horizon", min=1, help="periods (default: the scenario's)"),
    level: float = typer.Option(0.95, "--level", min=0.5, max=0.9999, help="the VaR / CVaR level"),
    target_se: Optional[float] = typer.Option(None, "--target-se", min=0,
                                              help="stop once the standard error of the mean value lost is this"),
    workers: int = typer.Option(1, "--workers", min=1,
                                help="processes (with --scheduler: a local Dask cluster of this many workers)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", envvar="DASK_SCHEDULER_ADDRESS",
                                            help="a Dask scheduler address, or 'local' for a LocalCluster"),
    trials_out: Optional[Path] = typer.Option(None, "--trials-out",
                                              help="write every trial's draws and losses (.csv, or .parquet)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress on stderr"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """How likely the line stops and how bad it gets: draw the scenario's uncertain
    events (probability, start, duration, severity, followers) and model quantities
    (stock, lead times, capacities, links) and simulate each trial."""
    model, scenario = load_any(scenario_file)
    if scenario is None:
        raise SupplyChainError(f"{scenario_file} is a model file: monte-carlo needs a scenario with events")
    show = not quiet and err.is_terminal
    with _progress(show) as tick:
        result = run_monte_carlo(model, scenario, trials=trials, seed=seed, horizon=horizon, level=level,
                                 target_se=target_se, workers=workers, scheduler=scheduler, progress=tick,
                                 trials_out=trials_out)
    if trials_out is not None:
        err.print(f"wrote {result.trials} rows to {trials_out}", markup=False)
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(render_monte_carlo(result, title=f"{scenario.name or scenario_file.stem} ({scenario_file.name})",
                                     width=out.width))


@contextlib.contextmanager
def _progress(show: bool):
    """A rich progress bar on stderr (trials done, rate, time left), or nothing."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("trials", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("trials", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


@app.command()
@guarded
def mitigate(
    files: list[Path] = typer.Argument(..., metavar="SCENARIO...", show_default=False,
                                       help="scenario files (one model), or with --by one model file (a scenario file: its model and overrides, not its events)"),
    target: Optional[str] = typer.Option(
        "units_lost<=0", "--target", help="units_lost<=X, value_lost<=X or time_to_survive>=T; 'none' with --budget"),
    budget: Optional[float] = typer.Option(None, "--budget", min=0,
                                           help="spend at most this; without a target, the least expected loss"),
    by: Optional[StressBy] = typer.Option(None, "--by", help="the scenarios: every country, supplier or part of a stress test"),
    recovery_time: Optional[int] = typer.Option(None, "--recovery-time", min=0,
                                                help="with --by: periods a disruption lasts where no recovery_time is given"),
    horizon: Optional[int] = typer.Option(None, "--horizon", min=1, help=f"with --by: periods simulated (default {DEFAULT_HORIZON})"),
    actions: Optional[Path] = typer.Option(None, "--actions", help="a mitigation file of candidate actions "
                                           "(default the model's mitigation:, else stock of every part)"),
    quantile: Optional[float] = typer.Option(
        None, "--quantile", min=0, max=1, help="with one uncertain scenario: plan against its Monte Carlo trials "
        "up to this quantile of value lost (0.95: all but the worst 5%)"),
    trials: int = typer.Option(200, "--trials", min=1, help="with --quantile: trials drawn"),
    seed: int = typer.Option(1, "--seed", help="with --quantile: the seed of the draws (as monte-carlo --seed)"),
    write_plan: Optional[Path] = typer.Option(None, "--write-plan", help="write the plan as a scenario file of overrides"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help=_CSV_HELP),
) -> None:
    """The cheapest plan of stock, capacity, second sources and faster qualification
    that meets the target in every scenario, verified by simulation.

    The scenarios are the files given, every country (supplier, part) of a stress test
    with --by, or with --quantile the Monte Carlo trials of one uncertain scenario.

    Solves one mixed-integer program on the stress-test LP with the candidate actions,
    re-simulates every scenario with the plan and strengthens it until the simulation
    agrees; prints the plan, its cost, each scenario's loss before and after, and what
    one more step of each action buys.
    """
    from supplychain.io import load_mitigation
    from supplychain.reports.mitigate_report import render_mitigation
    from supplychain.risk.mitigate import mitigate as run_mitigate
    from supplychain.risk.stress import stress_scenarios

    tgt = None if target is None or target.strip().lower() == "none" else target
    if by is None and (recovery_time is not None or horizon is not None):
        raise SupplyChainError("--recovery-time and --horizon shape the --by scenarios; a scenario file "
                               "gives its own events and horizon")
    sample = base = None
    if quantile is not None:
        if by is not None or len(files) != 1:
            raise SupplyChainError("--quantile takes one uncertain scenario file, without --by")
        from supplychain.risk.montecarlo import sample_scenarios

        model, base = load_any(files[0])
        if base is None:
            raise SupplyChainError(f"{files[0]}: a model file; --quantile needs a scenario with uncertain events")
        sample = sample_scenarios(model, base, trials=trials, seed=seed, quantile=quantile)
        model, scenarios = sample.model, list(sample.scenarios)
        model_file = files[0].parent / base.model if base.model else None
        if not scenarios:
            note = f"No trial of {trials} loses anything up to the {quantile:g} quantile: no plan needed."
            if as_json:
                print_json({"target": tgt, "budget": budget, "actions": [], "total_cost": 0.0, "met": True,
                            "notes": [note]})
            else:
                out.print(note)
            return
    elif by is not None:
        if len(files) != 1:
            raise SupplyChainError(f"--by {by.value} takes one model file, not {len(files)} files")
        model, scenario = load_any(files[0])
        scenarios = stress_scenarios(model, by=by.value, recovery_time=recovery_time,
                                     horizon=horizon if horizon is not None else (scenario.horizon if scenario else None),
                                     scenario=scenario)
        model_file = files[0] if scenario is None else files[0].parent / (scenario.model or "")
    else:
        model, scenarios, model_file = None, [], None
        for f in files:
            m, sc = load_any(f)
            if sc is None:
                raise SupplyChainError(f"{f}: a model file; give scenario files, or --by country with the model")
            if model is not None and m.model_dump() != model.model_dump():
                raise SupplyChainError(f"{f}: its model differs from {files[0]}'s; the scenarios must share one model")
            model = model or m
            model_file = model_file or (f.parent / sc.model if sc.model else None)
            scenarios.append(sc)
    mitigation = load_mitigation(actions, model) if actions is not None else None
    if sample is None:
        result = run_mitigate(model, scenarios, target=tgt, budget=budget, mitigation=mitigation)
    else:
        from dataclasses import replace

        from supplychain.risk.mitigate import mitigate_sample, sample_coverage

        result = mitigate_sample(sample, target=tgt, budget=budget, mitigation=mitigation)
        note = (f"Planned against {len(result.scenarios)} of {sample.trials} trials (seed {seed}): those that lose, "
                f"up to the {quantile:g} quantile of value lost ({sample.bound:,.0f}); "
                f"{sample.beyond} trials beyond it are left out.")
        if tgt is not None:
            met = sample_coverage(sample, result, mitigation=mitigation)
            note += f" With the plan {met} of {sample.trials} trials meet the target."
        result = replace(result, notes=(note, *result.notes))
    if write_plan is not None or csv_file is not None:
        from supplychain.io.write import plan_file_bytes

        planned = [base] if sample is not None else scenarios  # the uncertain scenario, not one trial
        plan = ([(write_plan, plan_file_bytes(write_plan, result, scenarios=planned, model_file=model_file))]
                if write_plan is not None else [])
        write_rows(csv_file, result.table(), files=plan)
        if write_plan is not None:
            err.print(f"wrote the plan to {write_plan}", markup=False)
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(render_mitigation(result, width=out.width))
    if not result.met:
        raise typer.Exit(1)
