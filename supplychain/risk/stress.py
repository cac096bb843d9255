"""The stress test: every country, supplier or part disrupted in turn, ranked by the loss.

Each target gets one disruption of its recovery time ``T`` starting at ``start``, and all
of them are simulated batched (:func:`supplychain.sim.simulate_batch`; on a large network
two processes share the batches, see :func:`stress_test`). Beside
the simulated figures each row carries the LP bounds of :mod:`supplychain.risk.lp`: the
time to survive the target's loss for good, and the least value lost over ``T``. The
**risk exposure index** is a row's LP impact divided by the largest one (1.0 = the worst
target; 0 for all when nothing costs anything). The undisrupted LP time to survive sits
beside every row: when capacities cannot meet the plan it is finite, and every row's
time to survive is capped by it.

``T`` follows one rule for every ``by``: the largest ``recovery_time`` among the suppliers
the disruption stops (the supplier; a country's suppliers; a part's sources' suppliers),
failing that the ``recovery_time`` argument, failing that the horizon; each row says
which (``recovery_time_source``). The LP loss counts over ``min(T, horizon - start)``,
the periods the run sees, so it stays a lower bound of the simulated loss. A country
disruption stops the suppliers located there and, by default, those owned there
(``reach``: ``located`` and/or ``owned``), as the country's embargo would; the home
country is not a stress-test target (an embargo never comes from home; disrupt the home
plant by supplier). Rows run from the most simulated units lost down (ties: more value
lost, then the shorter LP time to survive, then id; losses compared to 9 significant
digits, so float noise never orders two equal rows). Times are in the model's periods.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal

from supplychain.errors import InfeasibleError
from supplychain.model.checks import start_outside
from supplychain.model.countries import country_name
from supplychain.model.schema import DEFAULT_HORIZON, Disruption, Model, Reach, Scenario
from supplychain.network.whatif import apply
from supplychain.risk.lp import compile_lp, impact_lp, time_to_survive_lp
from supplychain.risk.pool import can_fork

__all__ = ["By", "StressRow", "StressResult", "stress_test", "disruption_for", "recovery_time_for",
           "recovery_time_source"]

By = Literal["country", "supplier", "part"]
_BY = ("country", "supplier", "part")


@dataclass(frozen=True)
class ItemLoss:
    """What one end item loses in one row: simulated units and value (None when not
    simulated), the part that bound it most often, and the LP's least loss over ``T``."""

    item: str
    units_lost: float | None
    value_lost: float | None
    bottleneck: str | None
    lp_units_lost: float

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "units_lost": self.units_lost, "value_lost": self.value_lost,
                "bottleneck": self.bottleneck, "lp_units_lost": self.lp_units_lost}


@dataclass(frozen=True)
class StressRow:
    """One disrupted target: simulated loss, LP bounds, index and the reason.

    Simulated figures (``units_lost``, ``value_lost``, ``time_to_survive``,
    ``time_to_recover``) are within the horizon and ``None`` when not simulated;
    ``time_to_survive`` is the earliest over the end items, ``time_to_recover`` the
    latest, ``None`` when output never fell -- or, with ``recovered`` False, when it had
    not recovered by the horizon's end. LP figures: ``lp_time_to_survive`` (``inf`` =
    unbounded), ``lp_impact`` (value over ``recovery_time``). ``items`` lists the end
    items that lose output (simulated or in the LP), most units first.
    """

    by: By
    target: str
    name: str
    recovery_time: int
    recovery_time_source: str  # where T comes from: a supplier's recovery_time, the argument, the horizon
    units_lost: float | None
    value_lost: float | None
    time_to_survive: int | None
    time_to_recover: int | None
    recovered: bool | None
    lp_time_to_survive: float
    lp_impact: float
    risk_exposure_index: float
    baseline_lp_time_to_survive: float
    items: tuple[ItemLoss, ...]

    @property
    def bottleneck(self) -> str | None:
        """The part that bound output of the end item losing the most units."""
        return next((i.bottleneck for i in self.items if i.bottleneck is not None), None)

    @property
    def reason(self) -> str:
        """One line saying why the row ranks where it does, e.g.
        ``sensor binds; camera loses 60 units``."""
        if not self.items:
            if self.lp_time_to_survive == math.inf:
                return "no loss: the rest of the network covers it"
            return "no loss within the horizon"
        simulated = self.units_lost is not None
        losses = ", ".join(
            f"{i.item} loses {(i.units_lost if simulated else i.lp_units_lost):,.6g} units" for i in self.items
        )
        head = f"{self.bottleneck} binds; " if self.bottleneck else ""
        return head + losses + ("" if simulated else " (LP bound)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by, "target": self.target, "name": self.name, "recovery_time": self.recovery_time,
            "recovery_time_source": self.recovery_time_source, "units_lost": self.units_lost, "value_lost": self.value_lost,
            "time_to_survive": self.time_to_survive, "time_to_recover": self.time_to_recover,
            "recovered": self.recovered,
            "lp_time_to_survive": _json_time(self.lp_time_to_survive),
            "lp_impact": self.lp_impact, "risk_exposure_index": self.risk_exposure_index,
            "baseline_lp_time_to_survive": _json_time(self.baseline_lp_time_to_survive),
            "bottleneck": self.bottleneck, "reason": self.reason,
            "items": [i.to_dict() for i in self.items],
        }


def _json_time(t: float) -> float | str:
    # JSON has no infinity; "unbounded" says what it means
    return "unbounded" if t == math.inf else t


@dataclass(frozen=True)
class StressResult:
    """The stress test's rows, ranked (see the module docstring), and its settings."""

    by: By
    horizon: int
    start: int
    period: str
    simulated: bool
    baseline_lp_time_to_survive: float
    rows: tuple[StressRow, ...]
    reach: tuple[str, ...] = ("located", "owned")  # how a country row reaches its suppliers
    instant_alternates: bool = False  # the LPs counted every alternate and source from the start

    def top(self, n: int) -> "StressResult":
        """The same result keeping the first ``n`` rows."""
        return StressResult(self.by, self.horizon, self.start, self.period, self.simulated,
                            self.baseline_lp_time_to_survive, self.rows[:n], self.reach, self.instant_alternates)

    def row(self, target: str) -> StressRow:
        for r in self.rows:
            if r.target == target:
                return r
        raise KeyError(target)

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by, "horizon": self.horizon, "start": self.start, "period": self.period,
            "simulated": self.simulated, "reach": list(self.reach), "instant_alternates": self.instant_alternates,
            "baseline_lp_time_to_survive": _json_time(self.baseline_lp_time_to_survive),
            "rows": [r.to_dict() for r in self.rows],
        }

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """``(header, rows)``: one row per target, in rank order, plain values (the
        ``--csv`` file and :meth:`to_frame` are this table)."""
        header = ["rank", "by", "target", "name", "recovery_time", "recovery_time_source", "units_lost", "value_lost", "time_to_survive",
                  "time_to_recover", "recovered", "lp_time_to_survive", "lp_impact", "risk_exposure_index",
                  "baseline_lp_time_to_survive", "bottleneck", "reason"]
        rows = [
            [k, r.by, r.target, r.name, r.recovery_time, r.recovery_time_source, r.units_lost, r.value_lost, r.time_to_survive,
             r.time_to_recover, r.recovered, r.lp_time_to_survive, r.lp_impact, r.risk_exposure_index,
             r.baseline_lp_time_to_survive, r.bottleneck, r.reason]
            for k, r in enumerate(self.rows, 1)
        ]
        return header, rows

    def to_frame(self):
        """:meth:`table` as a pandas DataFrame (pandas needed)."""
        import pandas as pd

        header, rows = self.table()
        return pd.DataFrame(rows, columns=header)


def _targets(model: Model, by: By) -> list[tuple[str, str]]:
    """(id, display name) of every target, in a fixed order."""
    if by == "country":
        codes = sorted({s.country for s in model.suppliers.values()} - {model.home})
        return [(c, country_name(c)) for c in codes]
    if by == "supplier":
        return [(sid, s.name or sid) for sid, s in model.suppliers.items()]
    return [(pid, p.name or pid) for pid, p in model.parts.items()]


def _concerned(model: Model, by: By, target: str, reach: tuple[Reach, ...]) -> list[str]:
    """The suppliers a target's disruption stops: the supplier; a country's suppliers
    by ``reach`` (located there, owned there -- a supplier without an owner is owned
    where it is); a part's sources' suppliers."""
    if by == "supplier":
        return [target]
    if by == "country":
        return [sid for sid, s in model.suppliers.items()
                if (Reach.located in reach and s.country == target)
                or (Reach.owned in reach and (s.owner or s.country) == target)]
    return list(dict.fromkeys(src.supplier for src in model.parts[target].sources))


def recovery_time_source(model: Model, by: By, target: str, *, default: int | None, horizon: int,
                         reach: tuple[Reach, ...] = (Reach.located,)) -> tuple[int, str]:
    """Periods the target's disruption lasts, ``T``, and where it comes from -- one rule
    for every ``by``: the largest ``recovery_time`` among the suppliers it stops, else
    the ``recovery_time`` argument (``default``), else the horizon.

    >>> m = Model.model_validate({"home": "TR", "suppliers": {
    ...     "a": {"country": "CA", "recovery_time": 8}, "b": {"country": "CA", "recovery_time": 12},
    ...     "c": {"country": "FR"}}, "parts": {"g": {"sources": [{"supplier": "a"}, {"supplier": "c"}]}},
    ...     "demand": {"g": {"rate": 1}}})
    >>> recovery_time_source(m, "country", "CA", default=None, horizon=104)
    (12, "recovery_time of supplier 'b'")
    >>> recovery_time_source(m, "supplier", "c", default=20, horizon=104)
    (20, 'the recovery_time argument')
    >>> recovery_time_source(m, "part", "g", default=None, horizon=104)
    (8, "recovery_time of supplier 'a'")
    >>> recovery_time_source(m, "country", "FR", default=None, horizon=104)
    (104, 'the horizon')
    """
    own = [(model.suppliers[sid].recovery_time, sid) for sid in _concerned(model, by, target, reach)
           if model.suppliers[sid].recovery_time is not None]
    if own:
        T, sid = max(own, key=lambda x: x[0])  # the first such supplier on a tie
        return T, f"recovery_time of supplier {sid!r}"
    if default is not None:
        return default, "the recovery_time argument"
    return horizon, "the horizon"


def recovery_time_for(model: Model, by: By, target: str, *, default: int | None, horizon: int,
                      reach: tuple[Reach, ...] = (Reach.located,)) -> int:
    """``T`` alone: see :func:`recovery_time_source`."""
    return recovery_time_source(model, by, target, default=default, horizon=horizon, reach=reach)[0]


def disruption_for(by: By, target: str, *, start: int, duration: int,
                   reach: tuple[Reach, ...] = (Reach.located,)) -> Disruption:
    """The disruption that stops one country (its suppliers by ``reach``), supplier or
    part for ``duration`` periods."""
    key = {"country": "countries", "supplier": "suppliers", "part": "parts"}[by]
    extra = {"reach": reach} if by == "country" else {}
    return Disruption(name=f"{by} {target}", start=start, duration=duration, **{key: (target,)}, **extra)


def stress_scenarios(model: Model, *, by: By = "country", recovery_time: int | None = None,
                     horizon: int | None = None, start: int = 0, scenario: Scenario | None = None,
                     reach: tuple[str, ...] = ("located", "owned")) -> list[Scenario]:
    """The stress test's scenarios: one per country (supplier, part), disrupted from
    ``start`` for its recovery time (see :func:`recovery_time_source`), on the model as
    ``scenario``'s overrides change it -- what :func:`stress_test` simulates, for
    other analyses (``supplychain mitigate --by country``)."""
    if by not in _BY:
        raise InfeasibleError(f"stress test by {by!r}: choose one of {', '.join(_BY)}")
    base = apply(model, scenario.overrides) if scenario is not None else model
    horizon = (scenario.horizon if scenario is not None else DEFAULT_HORIZON) if horizon is None else horizon
    reach_rules = tuple(Reach(r) for r in reach)
    out = []
    for t, _ in _targets(base, by):
        T = recovery_time_source(base, by, t, default=recovery_time, horizon=horizon, reach=reach_rules)[0]
        d = disruption_for(by, t, start=start, duration=T, reach=reach_rules)
        out.append(Scenario(name=d.name, horizon=horizon, disruptions=(d,),
                            overrides=scenario.overrides if scenario is not None else {}))
    return out


def stress_test(
    model: Model,
    *,
    scenario: Scenario | None = None,
    by: By = "country",
    recovery_time: int | None = None,
    horizon: int | None = None,
    start: int = 0,
    simulate: bool = True,
    processes: int | None = None,
    reach: tuple[str, ...] = ("located", "owned"),
    instant_alternates: bool = False,
) -> StressResult:
    """Disrupt every country (or supplier, or part) in turn and rank what each costs.

    ``scenario`` gives the model as the scenario changes it (its ``overrides``, see
    :func:`supplychain.apply`) and the default horizon (else
    :data:`~supplychain.model.schema.DEFAULT_HORIZON`); its own events are not part of
    the stress test.

    All disruptions run batched (:func:`supplychain.sim.simulate_batch`); each also
    gets the LP time to survive and the LP impact over its recovery time, and the risk
    exposure index. ``simulate=False`` skips the simulation (LP figures only; rows then
    rank by LP impact, then LP time to survive, then id) -- for networks too large to
    simulate every target.

    ``processes`` (default: 2 on a large network where the platform can fork, else 1)
    lets a second process simulate batches of targets while this one solves the LPs and
    then simulates batches too. Every target's simulated column is the same to the bit
    in any batch, so the result does not depend on how the targets were split.

    The LPs let an alternate or not-yet-qualified source supply only from its
    qualification time on; ``instant_alternates=True`` counts them from the start (the
    textbook LP, a looser bound).
    """
    if by not in _BY:
        raise InfeasibleError(f"stress test by {by!r}: choose one of {', '.join(_BY)}")
    if scenario is not None:
        model = apply(model, scenario.overrides)
        horizon = scenario.horizon if horizon is None else horizon
    horizon = DEFAULT_HORIZON if horizon is None else horizon
    if horizon <= 0:
        raise InfeasibleError(f"horizon {horizon} must be at least 1 period")
    if (why := start_outside(start, horizon)) is not None:
        raise InfeasibleError(f"the disruption {why} (--start)")
    if recovery_time is not None and recovery_time < 0:
        raise InfeasibleError(f"recovery_time {recovery_time} must be 0 or more periods")

    try:
        reach_rules = tuple(Reach(r) for r in reach)
    except ValueError:
        raise InfeasibleError(f"reach {', '.join(map(str, reach))!r}: choose located and/or owned") from None
    if not reach_rules or Reach.content in reach_rules:
        raise InfeasibleError("reach: choose located and/or owned (content is an embargo's rule)")
    targets = _targets(model, by)
    timed = [recovery_time_source(model, by, t, default=recovery_time, horizon=horizon, reach=reach_rules)
             for t, _ in targets]
    durations = [T for T, _ in timed]
    disruptions = [disruption_for(by, t, start=start, duration=T, reach=reach_rules)
                   for (t, _), T in zip(targets, durations)]

    sims: list[Any] = [None] * len(targets)
    helper = None
    if simulate and targets:
        scenarios = [Scenario(name=d.name, horizon=horizon, disruptions=(d,)) for d in disruptions]
        chunks = _chunks(len(scenarios), model, processes)
        if len(chunks) > 1:
            helper = _SimHelper(model, scenarios, chunks, horizon)  # simulates while the LPs run here

    try:
        net = compile_lp(model)
        qual = not instant_alternates
        baseline = time_to_survive_lp(net, qualification=qual)
        lp_tts = [time_to_survive_lp(net, d, qualification=qual) for d in disruptions]
        # the LP loss counts over the periods the run sees of the disruption, so it stays
        # a lower bound of the simulated loss when T runs past the horizon
        lp_imp = [impact_lp(net, d, recovery_time=min(T, horizon - start), qualification=qual)
                  for d, T in zip(disruptions, durations)]
        worst = max((i.value for i in lp_imp), default=0.0)

        if simulate and targets:
            from supplychain.sim import simulate_batch

            sims = helper.finish() if helper is not None else simulate_batch(model, scenarios, horizon=horizon)
    finally:
        if helper is not None:
            helper.stop()

    rows = []
    for (target, name), (T, source), d_tts, imp, sim in zip(targets, timed, lp_tts, lp_imp, sims):
        rows.append(_row(model, by, target, name, T, source, d_tts, imp, sim, baseline, worst))

    return StressResult(by=by, horizon=horizon, start=start, period=model.period.value, simulated=simulate,
                        baseline_lp_time_to_survive=baseline, rows=rank(rows, simulated=simulate),
                        reach=tuple(r.value for r in reach_rules) if by == "country" else (),
                        instant_alternates=instant_alternates)


def rank(rows: list[StressRow], *, simulated: bool) -> tuple[StressRow, ...]:
    """Rows in the documented order (see the module docstring); equal losses tie on
    that order, not on float noise, as they are compared to 9 significant digits."""
    if simulated:
        key = lambda r: (-_tie(r.units_lost or 0.0), -_tie(r.value_lost or 0.0), _tie(r.lp_time_to_survive),  # noqa: E731
                         r.target)
    else:
        key = lambda r: (-_tie(r.lp_impact), _tie(r.lp_time_to_survive), r.target)  # noqa: E731
    return tuple(sorted(rows, key=key))


def _tie(x: float) -> float:
    """``x`` to 9 significant digits: sums of the same losses in another order differ in
    the last bits, and must rank as equal."""
    return x if not math.isfinite(x) else float(f"{x:.9g}")


def _row(model, by, target, name, T, source, lp_tts, imp, sim, baseline, worst) -> StressRow:
    items: list[ItemLoss] = []
    units = value = tts = ttr = recovered = None
    if sim is not None:
        fell = [r for r in sim.end_items.values() if r.time_to_survive is not None]
        units, value = float(sim.units_lost), float(sim.value_lost)
        tts = min((r.time_to_survive for r in fell), default=None)
        if fell:
            recovered = all(r.time_to_recover is not None for r in fell)
            ttr = max(r.time_to_recover for r in fell) if recovered else None
        for item, r in sim.end_items.items():
            if r.units_lost > 0 or imp.lost.get(item, 0.0) > 0:
                items.append(ItemLoss(item, float(r.units_lost), float(r.value_lost), r.main_bottleneck,
                                      imp.lost.get(item, 0.0)))
        items.sort(key=lambda i: (-i.units_lost, -i.lp_units_lost, i.item))
    else:
        for item, lost in imp.lost.items():
            if lost > 0:
                items.append(ItemLoss(item, None, None, None, lost))
        items.sort(key=lambda i: (-i.lp_units_lost, i.item))
    return StressRow(
        by=by, target=target, name=name, recovery_time=T, recovery_time_source=source,
        units_lost=units, value_lost=value, time_to_survive=tts, time_to_recover=ttr, recovered=recovered,
        lp_time_to_survive=lp_tts, lp_impact=imp.value,
        risk_exposure_index=round(imp.value / worst, 9) if worst > 0 else 0.0,
        baseline_lp_time_to_survive=baseline, items=tuple(items),
    )


#: below this many parts x targets one process simulates everything (a fork costs more)
_PARALLEL_MIN_WORK = 400_000
#: targets per simulated batch when two processes share the batches
_CHUNK = 8


def _chunks(k: int, model: Model, processes: int | None) -> list[range]:
    """How the ``k`` targets are cut into batches: one batch unless two processes help."""
    if processes is None:
        big = len(model.parts) * k >= _PARALLEL_MIN_WORK
        processes = 2 if big and (os.cpu_count() or 1) >= 2 else 1
    if processes < 2 or k < 2 or not can_fork():
        return [range(k)]
    size = max(1, min(_CHUNK, k // 2))
    return [range(a, min(a + size, k)) for a in range(0, k, size)]


class _SimHelper:
    """A worker of the shared process pool (:mod:`supplychain.risk.pool`) simulates
    batches of targets while the LPs run here.

    Once the LPs are done, :meth:`finish` takes the batches the worker has not started
    (cancelling them there, last first) and simulates them here, so the two processes
    end at about the same time whatever the LPs cost. The worker inherits the model and
    its compiled arrays from the fork, so nothing large is pickled, and it exits with
    this process. A batch the worker did not deliver (it failed or died) is simulated
    here, so an error surfaces here with its own traceback.
    """

    def __init__(self, model: Model, scenarios: list, chunks: list[range], horizon: int) -> None:
        from supplychain.network import compile_network
        from supplychain.risk.pool import process_pool, share

        compile_network(model)  # compiled once, before the fork, for both processes
        self.model, self.scenarios, self.chunks, self.horizon = model, scenarios, chunks, horizon
        share(stress=(model, scenarios, chunks, horizon))
        self.pool = process_pool(1)
        self.futures = [self.pool.submit(_simulate_chunk, i) for i in range(len(chunks))]

    def _run(self, i: int) -> list:
        from supplychain.sim import simulate_batch

        return simulate_batch(self.model, [self.scenarios[k] for k in self.chunks[i]], horizon=self.horizon)

    def stop(self) -> None:
        """End the worker (it may still run if the LPs or a batch here raised)."""
        for f in self.futures:
            f.cancel()
        for proc in list(getattr(self.pool, "_processes", {}).values()):
            if proc.is_alive():
                proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def finish(self) -> list:
        done: dict[int, list] = {}
        for i in reversed(range(len(self.chunks))):
            if not self.futures[i].cancel():
                break  # this one and every earlier one is the worker's
            done[i] = self._run(i)
        for i, f in enumerate(self.futures):
            if i not in done:
                try:
                    done[i] = f.result()
                except Exception:  # noqa: BLE001 - the worker failed or died: redo it here
                    done[i] = self._run(i)
        return [r for i in range(len(self.chunks)) for r in done[i]]


def _simulate_chunk(i: int) -> list:
    """In the pool's worker: simulate batch ``i`` of the stress test shared before the fork."""
    from supplychain.risk.pool import shared
    from supplychain.sim import simulate_batch

    model, scenarios, chunks, horizon = shared("stress")
    return simulate_batch(model, [scenarios[k] for k in chunks[i]], horizon=horizon)
