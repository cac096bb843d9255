"""Monte Carlo: how likely the line stops, how bad it gets, and which event drives it.

Each event of a scenario may carry an ``uncertain`` block (see
:class:`~supplychain.model.schema.Uncertain`): the probability it happens, distributions
of its start, duration and severity, and followers that join an embargo with their own
probability and lag. A trial draws every one of them and simulates the scenario so
drawn; the results are the distribution of what the trials lost.

Reproducible by construction: trials run in chunks (:func:`chunk_size`: 64 trials, more
on a small network, a function of the model alone) along the engine's batch axis, and
chunk ``c`` draws from ``numpy.random.SeedSequence(seed,
spawn_key=(c,))`` -- the ``c``-th child ``SeedSequence(seed).spawn`` would give -- never
from a worker's stream. A chunk's numbers depend only on the seed and its index, so
any executor (in process, a process pool, a Dask cluster) and any number of workers
give the same bytes. With ``target_se`` the run stops after the first chunk, in chunk
order, at which the standard error of the expected value lost is reached.

Draws, per trial and event, in the file's order (embargoes, then disruptions; a
follower right after its embargo): whether it happens (``probability``), its start
(rounded to a whole period, at least 0; one at or after the horizon does not happen
within it), its duration (rounded, at least 1 period; without a distribution the
event keeps its own length or stays open-ended) and its severity (clipped to 0-1; 0 =
nothing happens). A follower happens only when its embargo does; it starts ``lag``
periods later, with the same items and terms, and ends when the embargo ends.

The scenario's ``uncertain_model`` draws model quantities too: a part's stock (units,
at least 0), a source's lead time (whole periods) or capacity, and whether a mapped
sub-tier link exists (with its ``confidence``; without it the part comes from its other
sources, their shares rescaled to keep their proportions). A trial's quantities
become its overrides, so each trial with its own values runs on a model of its own
(compiled per trial: slower than the events, which share one batched model).

The contribution of an event to the expected loss is the difference between the mean
value lost in the trials where it happened and in those where it did not, with the
standard error of that difference (for a quantity: the trials above its median against
the rest). It is a marginal comparison, not a decomposition:
contributions do not add up to the expected loss when events overlap (two stops of the
same part) or are coupled (a follower happens only with its leader), and they say so.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from supplychain.errors import InfeasibleError, ModelError, Problem
from supplychain.io.trials_out import TrialsWriter
from supplychain.model.schema import Disruption, Distribution, Embargo, Model, Scenario

__all__ = ["CHUNK", "chunk_size", "MonteCarloResult", "LossStats", "EndItemRisk", "Driver", "monte_carlo", "draw_chunk",
           "run_chunk", "trial_scenario", "trial_columns", "trial_rows", "sample_scenarios", "TrialSample",
           "trial_runs"]

#: trials per chunk at the least: one batched simulation, one seed stream
CHUNK = 64
#: ... and up to this many on a small network, while parts x trials stay within _CELLS
MAX_CHUNK = 1024
_CELLS = 65_536


def chunk_size(n_parts: int) -> int:
    """Trials per chunk for a network of ``n_parts`` parts: wider batches amortise the
    engine's per-period work on small networks. It depends on the model only, never on
    the workers, so the draws do not either.

    >>> chunk_size(16), chunk_size(10_000)
    (1024, 64)
    """
    return max(CHUNK, min(MAX_CHUNK, _CELLS // max(n_parts, 1)))


# --- the draws --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """One uncertain thing a trial draws: an event, or a follower of an embargo."""

    label: str
    kind: str  # "embargo", "disruption", "follower"
    event: int  # index among the scenario's embargoes (followers too) or disruptions
    follower: int = -1


def _slots(scenario: Scenario) -> list[_Slot]:
    out = []
    for i, e in enumerate(scenario.embargoes):
        name = e.name or f"embargo {i + 1}"
        out.append(_Slot(name, "embargo", i))
        for j, f in enumerate(e.uncertain.followers if e.uncertain else ()):
            out.append(_Slot(f"{name}: {', '.join(f.imposed_by)} follows", "follower", i, j))
    for i, d in enumerate(scenario.disruptions):
        out.append(_Slot(d.name or f"disruption {i + 1}", "disruption", i))
    return out


def _draw(spec: Distribution | None, n: int, rng: np.random.Generator) -> np.ndarray | None:
    if spec is None:
        return None
    return np.asarray(spec.frozen().rvs(size=n, random_state=rng), dtype=float)


@dataclass(frozen=True)
class ChunkDraws:
    """The inputs drawn for one chunk of trials, slot by slot (see the module docstring):
    ``start`` and ``stop`` in periods (stop -1 = open-ended), ``severity`` 0-1 and
    ``happens`` within the horizon."""

    happens: np.ndarray  # (n, slots) bool
    start: np.ndarray  # (n, slots) int
    stop: np.ndarray  # (n, slots) int, -1 = open-ended
    severity: np.ndarray  # (n, slots) float
    quantities: np.ndarray  # (n, quantities) the drawn model quantities (see _quantities)


def _quantities(scenario: Scenario) -> list[tuple[str, str, str, str | None, Distribution]]:
    """The uncertain model quantities in the order they are drawn: (label, field, part,
    supplier, distribution)."""
    um = scenario.uncertain_model
    if um is None:
        return []
    out = [(f"stock of {u.part}", "stock", u.part, None, u.stock) for u in um.stock]
    for u in um.sources:
        for fld in ("lead_time", "capacity"):
            dist = getattr(u, fld)
            if dist is not None:
                out.append((f"{fld.replace('_', ' ')} of {u.part} from {u.supplier}", fld, u.part, u.supplier, dist))
    for u in um.links:
        out.append((f"link {u.part} from {u.supplier}", "link", u.part, u.supplier,
                    Distribution.model_validate({"dist": "bernoulli", "p": u.confidence})))
    return out


def draw_chunk(scenario: Scenario, horizon: int, seed: int, chunk: int, n: int) -> ChunkDraws:
    """The draws of the ``n`` trials of chunk ``chunk``, from its own stream."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    slots = _slots(scenario)
    S = len(slots)
    happens = np.zeros((n, S), dtype=bool)
    start = np.zeros((n, S), dtype=np.int64)
    stop = np.full((n, S), -1, dtype=np.int64)
    severity = np.zeros((n, S))
    events: list[tuple[Embargo | Disruption, list[int]]] = []
    k = 0
    for e in scenario.embargoes:
        n_f = len(e.uncertain.followers) if e.uncertain else 0
        events.append((e, list(range(k, k + 1 + n_f))))
        k += 1 + n_f
    for d in scenario.disruptions:
        events.append((d, [k]))
        k += 1
    for ev, cols in events:
        u = ev.uncertain
        col = cols[0]
        occur = rng.random(n) < (u.probability if u else 1.0)
        st = _draw(u.start if u else None, n, rng)
        st = np.full(n, ev.start) if st is None else np.maximum(np.rint(st), 0).astype(np.int64)
        du = _draw(u.duration if u else None, n, rng)
        if du is not None:
            sp = st + np.maximum(np.rint(du), 1).astype(np.int64)
        elif ev.stop is not None:
            sp = st + (ev.stop - ev.start)
        else:
            sp = np.full(n, -1, dtype=np.int64)
        sv = _draw(u.severity if u else None, n, rng)
        sv = np.full(n, ev.severity) if sv is None else np.clip(sv, 0.0, 1.0)
        ok = occur & (st < horizon) & (sv > 0) & ((sp < 0) | (sp > st))
        happens[:, col], start[:, col], stop[:, col], severity[:, col] = ok, st, sp, sv
        for j, fcol in enumerate(cols[1:]):
            f = ev.uncertain.followers[j]
            joins = rng.random(n) < f.probability
            lag = np.full(n, f.lag) if isinstance(f.lag, int) else np.maximum(np.rint(_draw(f.lag, n, rng)), 0)
            fst = st + lag.astype(np.int64)
            f_ok = ok & joins & (fst < horizon) & ((sp < 0) | (fst < sp))
            happens[:, fcol], start[:, fcol], stop[:, fcol], severity[:, fcol] = f_ok, fst, sp, sv
    specs = _quantities(scenario)
    quantities = np.zeros((n, len(specs)))
    for q, (_, fld, _, _, dist) in enumerate(specs):
        x = _draw(dist, n, rng)
        # stock and capacity at least 0; a lead time in whole periods
        quantities[:, q] = np.maximum(np.rint(x), 0) if fld == "lead_time" else np.maximum(x, 0.0)
    return ChunkDraws(happens, start, stop, severity, quantities)


def trial_scenario(scenario: Scenario, draws: ChunkDraws, t: int, *, name: str | None = None,
                   model: Model | None = None) -> Scenario:
    """The plain scenario drawn for trial ``t`` of a chunk: the events that happen,
    with their drawn windows and severities (followers as embargoes of their own), and
    the drawn model quantities as its ``overrides`` (``model`` gives the sources they
    change)."""
    slots = _slots(scenario)
    embargoes, disruptions = [], []
    for k, slot in enumerate(slots):
        if not draws.happens[t, k]:
            continue
        window = {"start": int(draws.start[t, k]), "end": None if draws.stop[t, k] < 0 else int(draws.stop[t, k]),
                  "duration": None, "severity": float(draws.severity[t, k]), "uncertain": None}
        if slot.kind == "disruption":
            d = scenario.disruptions[slot.event]
            disruptions.append(Disruption.model_validate({**dict(d), **window}))
            continue
        e = scenario.embargoes[slot.event]
        extra = {"imposed_by": e.uncertain.followers[slot.follower].imposed_by, "name": slot.label} \
            if slot.kind == "follower" else {}
        embargoes.append(Embargo.model_validate({**dict(e), **window, **extra}))
    overrides = _quantity_overrides(scenario, draws.quantities[t], model)
    return Scenario.model_validate({**dict(scenario), "name": name or scenario.name, "embargoes": embargoes,
                                    "disruptions": disruptions, "uncertain_model": None,
                                    **({"overrides": overrides} if overrides else {})})


def _quantity_overrides(scenario: Scenario, values: np.ndarray, model: Model | None) -> dict:
    """The drawn quantities as overrides of the model: a part's stock, and its sources
    list with the drawn lead time or capacity of one of them (a list is replaced whole)."""
    specs = _quantities(scenario)
    if not specs:
        return {}
    if model is None:
        raise ValueError("uncertain model quantities need the model to draw against")
    parts: dict[str, dict] = {}
    sources: dict[str, list[dict]] = {}
    absent: set[tuple[str, str]] = set()
    for (label, fld, pid, sup, _), v in zip(specs, values):
        if fld == "stock":
            parts.setdefault(pid, {})["stock"] = float(v)
            continue
        listed = sources.setdefault(pid, [src.model_dump(exclude_none=True) for src in model.parts[pid].sources])
        hit = [src for src in listed if src["supplier"] == sup]
        if not hit:
            raise ModelError([Problem(f"{label}: part {pid!r} has no source from supplier {sup!r}",
                                      ("uncertain_model", "links" if fld == "link" else "sources"))])
        if fld == "link":
            if v < 0.5:
                absent.add((pid, sup))
            continue
        for src in hit:
            src[fld] = int(v) if fld == "lead_time" else float(v)
    for pid, listed in sources.items():
        kept = [src for src in listed if (pid, src["supplier"]) not in absent]
        if not kept:
            raise ModelError([Problem(f"part {pid!r} has no source left in a trial without its uncertain links; "
                                      "give it another source, or raise a link's confidence to 1",
                                      ("uncertain_model", "links"))])
        if len(kept) < len(listed):  # the rest keep their proportions
            total = sum(src.get("share", 0.0) for src in kept)
            for src in kept:
                if "share" in src and total > 0:
                    src["share"] = src["share"] / total
        parts.setdefault(pid, {})["sources"] = kept
    return {"parts": parts}


# --- one chunk --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkOut:
    """What a chunk's trials drew and lost: per trial and end item."""

    index: int
    draws: ChunkDraws
    units_lost: np.ndarray  # (n, end items)
    value_lost: np.ndarray  # (n, end items)
    time_to_survive: np.ndarray  # (n, end items) float; nan = never below plan
    time_to_recover: np.ndarray  # (n, end items) float; nan = never fell or not recovered
    recovered: np.ndarray  # (n, end items) bool: never fell, or back at plan by the horizon
    bottleneck: list[list[str | None]]  # (n, end items) main bottleneck


def run_chunk(model: Model, scenario: Scenario, horizon: int, seed: int, chunk: int, n: int) -> ChunkOut:
    """Draw and simulate one chunk of ``n`` trials (one batched simulation)."""
    from supplychain.sim import simulate_batch

    draws = draw_chunk(scenario, horizon, seed, chunk, n)
    trials = [trial_scenario(scenario, draws, t, model=model) for t in range(n)]
    results = simulate_batch(model, trials, horizon=horizon)
    items = list(results[0].end_items)
    shape = (n, len(items))
    units, value = np.zeros(shape), np.zeros(shape)
    tts, ttr = np.full(shape, np.nan), np.full(shape, np.nan)
    recovered = np.ones(shape, dtype=bool)
    bottleneck = []
    for t, r in enumerate(results):
        row = []
        for j, item in enumerate(items):
            e = r.end_items[item]
            units[t, j], value[t, j] = e.units_lost, e.value_lost
            if e.time_to_survive is not None:
                tts[t, j] = e.time_to_survive
                if e.time_to_recover is not None:
                    ttr[t, j] = e.time_to_recover
                else:
                    recovered[t, j] = False
            row.append(e.main_bottleneck)
        bottleneck.append(row)
    return ChunkOut(chunk, draws, units, value, tts, ttr, recovered, bottleneck)


# --- the result -------------------------------------------------------------------------


@dataclass(frozen=True)
class LossStats:
    """A loss over the trials: the mean with its standard error, percentiles, and the
    value at risk and conditional value at risk at ``level``."""

    mean: float
    se: float
    p50: float
    p90: float
    p95: float
    p99: float
    level: float
    var: float  # the level-quantile of the loss
    cvar: float  # the mean loss in the trials at or beyond the VaR

    @classmethod
    def of(cls, x: np.ndarray, level: float) -> "LossStats":
        """The statistics of the losses ``x`` (percentiles by the inverted CDF: each is a
        loss some trial had).

        >>> s = LossStats.of(np.array([0.0, 0.0, 0.0, 10.0]), 0.9)
        >>> s.mean, s.p50, s.var, s.cvar
        (2.5, 0.0, 10.0, 10.0)
        """
        n = len(x)
        se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        q = np.quantile(x, [0.5, 0.9, 0.95, 0.99, level], method="inverted_cdf")
        tail = x[x >= q[4]]
        return cls(float(x.mean()), se, *map(float, q[:4]), level, float(q[4]), float(tail.mean()))

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class EndItemRisk:
    """One end item over the trials."""

    item: str
    p_short: float  # P(output falls below plan within the horizon)
    p_short_se: float
    units_lost: LossStats
    value_lost: LossStats
    time_to_survive: dict[str, float | None]  # percentiles over the trials that fell; p_never
    time_to_recover: dict[str, float | None]  # percentiles over those that recovered; p_not_recovered
    bottleneck: dict[str, float]  # part -> share of the trials it was the main bottleneck in

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "p_short": self.p_short, "p_short_se": self.p_short_se,
                "units_lost": self.units_lost.to_dict(), "value_lost": self.value_lost.to_dict(),
                "time_to_survive": self.time_to_survive, "time_to_recover": self.time_to_recover,
                "bottleneck": self.bottleneck}


@dataclass(frozen=True)
class Driver:
    """An uncertain event (or follower): how often it happened, and the mean value lost
    (all end items) in the trials with it and without it."""

    label: str
    kind: str
    p_happens: float
    mean_with: float | None
    mean_without: float | None
    contribution: float | None  # mean_with - mean_without
    se: float | None  # its standard error

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _driver(label: str, kind: str, total: np.ndarray, mask: np.ndarray) -> Driver:
    """The mean loss of the trials in ``mask`` against the rest, and the standard error
    of the difference (each side's variance over its count)."""
    w, wo = total[mask], total[~mask]
    mw = float(w.mean()) if len(w) else None
    mwo = float(wo.mean()) if len(wo) else None
    diff = se = None
    if mw is not None and mwo is not None:
        diff = mw - mwo
        se = float(math.sqrt((w.var(ddof=1) / len(w) if len(w) > 1 else 0.0)
                             + (wo.var(ddof=1) / len(wo) if len(wo) > 1 else 0.0)))
    return Driver(label, kind, float(mask.mean()), mw, mwo, diff, se)


def _percentiles(x: np.ndarray) -> dict[str, float | None]:
    if not len(x):
        return {"p10": None, "p50": None, "p90": None}
    q = np.quantile(x, [0.1, 0.5, 0.9], method="inverted_cdf")
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


@dataclass(frozen=True)
class MonteCarloResult:
    """What ``trials`` drawn scenarios lost; see the module docstring."""

    scenario: str | None
    trials: int
    seed: int
    chunk: int
    horizon: int
    period: str
    level: float
    end_items: dict[str, EndItemRisk]
    value_lost: LossStats  # all end items together
    drivers: tuple[Driver, ...]
    stopped_early: bool  # target_se was reached before the trial count

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "trials": self.trials, "seed": self.seed, "chunk": self.chunk,
                "horizon": self.horizon, "period": self.period, "level": self.level,
                "stopped_early": self.stopped_early, "value_lost": self.value_lost.to_dict(),
                "end_items": {k: v.to_dict() for k, v in self.end_items.items()},
                "drivers": [d.to_dict() for d in self.drivers]}

    def to_frame(self):
        """Per end item, the headline figures, as a pandas DataFrame indexed by end item."""
        import pandas as pd

        rows = []
        for item, r in self.end_items.items():
            rows.append({"end_item": item, "p_short": r.p_short, "units_lost_mean": r.units_lost.mean,
                         "units_lost_se": r.units_lost.se, "value_lost_mean": r.value_lost.mean,
                         "value_lost_se": r.value_lost.se, "value_lost_p95": r.value_lost.p95,
                         "value_lost_var": r.value_lost.var, "value_lost_cvar": r.value_lost.cvar})
        return pd.DataFrame(rows).set_index("end_item")


def trial_columns(scenario: Scenario, items: list[str]) -> tuple[list[str], list[str]]:
    """The columns of the per-trial records and their kinds (see
    :class:`~supplychain.io.trials_out.TrialsWriter`): per slot what it drew, per
    quantity its value, per end item what it lost."""
    header, kinds = ["trial"], ["int"]
    for s in _slots(scenario):
        header += [f"{s.label}: happens", f"{s.label}: start", f"{s.label}: stop", f"{s.label}: severity"]
        kinds += ["bool", "int", "int", "float"]
    for label, *_ in _quantities(scenario):
        header.append(label)
        kinds.append("float")
    for item in items:
        header += [f"{item}: units_lost", f"{item}: value_lost", f"{item}: time_to_survive"]
        kinds += ["float", "float", "int"]
    return header, kinds


def trial_rows(c: ChunkOut, first: int) -> list[list[Any]]:
    """One chunk's per-trial records, trials numbered from ``first``."""
    d, rows = c.draws, []
    for t in range(len(c.units_lost)):
        row: list[Any] = [first + t]
        for j in range(d.happens.shape[1]):
            row += [bool(d.happens[t, j]), int(d.start[t, j]), None if d.stop[t, j] < 0 else int(d.stop[t, j]),
                    float(d.severity[t, j])]
        row += [float(v) for v in d.quantities[t]]
        for j in range(c.units_lost.shape[1]):
            tts = c.time_to_survive[t, j]
            row += [float(c.units_lost[t, j]), float(c.value_lost[t, j]), None if math.isnan(tts) else int(tts)]
        rows.append(row)
    return rows


def _slim(c: ChunkOut) -> ChunkOut:
    """What the aggregates need of a chunk once its records are written: whether each
    slot happened, the quantities and the outcomes (the windows drawn go)."""
    d = c.draws
    none = np.zeros((len(d.happens), 0))
    return ChunkOut(c.index, ChunkDraws(d.happens, none, none, none, d.quantities), c.units_lost, c.value_lost,
                    c.time_to_survive, c.time_to_recover, c.recovered, c.bottleneck)


def _aggregate(scenario: Scenario, chunks: list[ChunkOut], *, seed: int, chunk: int, horizon: int, period: str,
               level: float, items: list[str], stopped_early: bool) -> MonteCarloResult:
    units = np.concatenate([c.units_lost for c in chunks])
    value = np.concatenate([c.value_lost for c in chunks])
    tts = np.concatenate([c.time_to_survive for c in chunks])
    ttr = np.concatenate([c.time_to_recover for c in chunks])
    recovered = np.concatenate([c.recovered for c in chunks])
    happens = np.concatenate([c.draws.happens for c in chunks])
    bottleneck = [row for c in chunks for row in c.bottleneck]
    n = len(units)
    out = {}
    for j, item in enumerate(items):
        short = ~np.isnan(tts[:, j])
        p = float(short.mean())
        counts: dict[str, int] = {}
        for row in bottleneck:
            if row[j] is not None:
                counts[row[j]] = counts.get(row[j], 0) + 1
        back = short & recovered[:, j]
        out[item] = EndItemRisk(
            item, p, math.sqrt(p * (1 - p) / n),
            LossStats.of(units[:, j], level), LossStats.of(value[:, j], level),
            {**_percentiles(tts[short, j]), "p_never": float(1 - p)},
            {**_percentiles(ttr[back, j]), "p_not_recovered": float((short & ~recovered[:, j]).mean())},
            {k: v / n for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))},
        )
    total = value.sum(axis=1)
    drivers = [_driver(slot.label, slot.kind, total, happens[:, k]) for k, slot in enumerate(_slots(scenario))]
    quantities = np.concatenate([c.draws.quantities for c in chunks])
    for q, (label, fld, *_rest) in enumerate(_quantities(scenario)):
        if fld == "link":  # the trials with the link against those without
            drivers.append(_driver(f"{label} exists", "link", total, quantities[:, q] > 0.5))
            continue
        # the trials with the quantity above its median against the rest
        above = quantities[:, q] > np.median(quantities[:, q])
        drivers.append(_driver(f"{label} above its median", "quantity", total, above))
    return MonteCarloResult(scenario.name, n, seed, chunk, horizon, period, level, out, LossStats.of(total, level),
                            tuple(drivers), stopped_early)


# --- a sample of trials to plan against -------------------------------------------------


@dataclass(frozen=True)
class TrialSample:
    """The drawn trials a plan is made against (see :func:`sample_scenarios`)."""

    model: Model  # the model as the scenario's overrides change it
    scenarios: tuple[Scenario, ...]  # plain trials that lose, at or below the quantile's loss
    trials: int
    quantile: float
    bound: float  # value lost at the quantile (an observed trial's)
    losing: int  # trials that lose anything without a plan
    beyond: int  # trials beyond the quantile's loss: left out of the plan
    eligible: tuple[Scenario, ...]  # every distinct losing trial up to the quantile, worst first
    scenario: Scenario  # the uncertain scenario, its overrides in ``model``
    seed: int
    horizon: int

    def trial_scenarios(self) -> list[Scenario]:
        """Every trial of the sample as a plain scenario, drawn again from the seed."""
        size = chunk_size(len(self.model.parts))
        out: list[Scenario] = []
        for c in range(math.ceil(self.trials / size)):
            n = min(size, self.trials - c * size)
            draws = draw_chunk(self.scenario, self.horizon, self.seed, c, n)
            out += [trial_scenario(self.scenario, draws, t, model=self.model) for t in range(n)]
        return out


def trial_runs(model: Model, scenario: Scenario, *, trials: int, seed: int, horizon: int) -> list[ChunkOut]:
    """The chunks of ``trials`` trials of ``scenario`` (its overrides already in
    ``model``), drawn as :func:`monte_carlo` draws them with ``seed``."""
    size = chunk_size(len(model.parts))
    return [run_chunk(model, scenario, horizon, seed, c, min(size, trials - c * size))
            for c in range(math.ceil(trials / size))]


def sample_scenarios(model: Model, scenario: Scenario, *, trials: int = 200, seed: int = 1, quantile: float = 0.95,
                     horizon: int | None = None, limit: int = 24) -> TrialSample:
    """Draw ``trials`` trials of an uncertain scenario (the same draws as
    :func:`monte_carlo` with ``seed``) and keep, as plain scenarios, those that lose
    value without a plan but no more than the ``quantile`` of value lost: a plan that
    meets its target in all of them protects against every trial but the worst
    ``1 - quantile`` share. Identical trials count once; beyond ``limit`` kept trials,
    an even spread over their ranked losses (the worst always in) stands for them
    (``eligible`` holds them all; :func:`~supplychain.risk.mitigate.mitigate_sample`
    adds those the plan misses)."""
    if not 0 < quantile < 1:
        raise InfeasibleError(f"quantile {quantile:g}: give a share between 0 and 1, e.g. 0.95 "
                              "(all but the worst 5% of trials)")
    if trials < 1:
        raise InfeasibleError(f"trials {trials}: draw at least 1")
    from supplychain.model.checks import check_scenario
    from supplychain.network import compile_network
    from supplychain.network.whatif import apply

    horizon = scenario.horizon if horizon is None else horizon
    derived = apply(model, scenario.overrides) if scenario.overrides else model
    problems = check_scenario(compile_network(derived).vocabulary, scenario, horizon=horizon)
    if problems:
        raise ModelError(problems)
    plain = scenario.model_copy(update={"overrides": {}})
    outs = trial_runs(derived, plain, trials=trials, seed=seed, horizon=horizon)
    draws = {c.index: c.draws for c in outs}
    where = [(c.index, t) for c in outs for t in range(len(c.units_lost))]
    x = np.concatenate([c.value_lost.sum(axis=1) for c in outs])
    bound = float(np.quantile(x, quantile, method="inverted_cdf"))
    ranked = sorted((i for i in range(len(x)) if 0 < x[i] <= bound), key=lambda i: (-x[i], i))
    kept: list[Scenario] = []
    seen: set[str] = set()
    for i in ranked:
        c, t = where[i]
        sc = trial_scenario(plain, draws[c], t, name=f"trial {i + 1}", model=derived)
        key = sc.model_copy(update={"name": None}).model_dump_json()
        if key not in seen:
            seen.add(key)
            kept.append(sc)
    eligible = tuple(kept)
    if len(kept) > limit:
        kept = [kept[j] for j in sorted({int(round(v)) for v in np.linspace(0, len(kept) - 1, limit)})]
    return TrialSample(derived, tuple(kept), len(x), quantile, bound, int((x > 0).sum()), int((x > bound).sum()),
                       eligible, plain, seed, horizon)


# --- executors --------------------------------------------------------------------------


def _pool_map(workers: int):
    from supplychain.risk.pool import process_pool

    return process_pool(workers)


def monte_carlo(
    model: Model,
    scenario: Scenario,
    *,
    trials: int = 10_000,
    seed: int = 1,
    horizon: int | None = None,
    level: float = 0.95,
    target_se: float | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    trials_out: str | Path | None = None,
) -> MonteCarloResult:
    """Draw ``trials`` scenarios from ``scenario``'s uncertainty and simulate them.

    ``workers`` > 1 runs chunks in a local process pool; ``scheduler`` (a Dask
    scheduler address, or ``"local"`` for a ``distributed.LocalCluster`` of ``workers``
    processes) runs them on Dask. Every executor gives the same result for the same
    seed. ``target_se`` stops at the first chunk where the standard error of the mean
    value lost (all end items) is at most that; ``progress(done, total)`` is called as
    chunks finish. ``level`` is the VaR / CVaR level. ``trials_out`` (.csv or
    .parquet) receives every trial's draws and losses as its chunk settles; the engine's
    memory is that of a chunk, whatever the trial count.
    """
    if trials < 1:
        raise InfeasibleError(f"trials {trials} must be at least 1")
    if not 0 < level < 1:
        raise InfeasibleError(f"level {level} must lie between 0 and 1 (0.95 is usual)")
    if workers < 1:
        raise InfeasibleError(f"workers {workers} must be at least 1")
    from supplychain.model.checks import check_scenario
    from supplychain.network import compile_network
    from supplychain.network.whatif import apply

    horizon = scenario.horizon if horizon is None else horizon
    derived = apply(model, scenario.overrides) if scenario.overrides else model
    net = compile_network(derived)
    # the scenario as written must be valid (checked like a file) before any draw
    problems = check_scenario(net.vocabulary, scenario, horizon=horizon)
    if problems:
        raise ModelError(problems)
    plain = scenario.model_copy(update={"overrides": {}})
    items = list(net.end_items)
    size = chunk_size(len(derived.parts))
    n_chunks = math.ceil(trials / size)
    sizes = [min(size, trials - c * size) for c in range(n_chunks)]
    done: dict[int, ChunkOut] = {}
    order: list[ChunkOut] = []
    stopped = False

    header, kinds = trial_columns(plain, items)
    writer = TrialsWriter(trials_out, header, kinds) if trials_out is not None else None
    written = 0

    def settle() -> bool:
        """Move finished chunks into ``order`` in chunk order, their records to the file;
        True when the target is met."""
        nonlocal order, written
        while len(order) in done:
            c = done.pop(len(order))
            if writer is not None:
                writer.write(trial_rows(c, written))
            written += len(c.units_lost)
            order.append(_slim(c))
            if target_se is not None and len(order) < n_chunks:
                total = np.concatenate([c.value_lost.sum(axis=1) for c in order])
                if len(total) > 1 and total.std(ddof=1) / math.sqrt(len(total)) <= target_se:
                    return True
        return False

    args = [(derived, plain, horizon, seed, c, sizes[c]) for c in range(n_chunks)]
    with writer if writer is not None else contextlib.nullcontext():
        if scheduler is None and workers == 1:
            for a in args:
                out = run_chunk(*a)
                done[out.index] = out
                if progress:
                    progress(sum(len(c.units_lost) for c in order) + len(out.units_lost), trials)
                if settle():
                    stopped = True
                    break
        else:
            stopped = _run_parallel(args, done, settle, workers=workers, scheduler=scheduler, progress=progress,
                                    trials=trials, order=order)
    return _aggregate(plain, order, seed=seed, chunk=size, horizon=horizon, period=net.period, level=level, items=items,
                      stopped_early=stopped)


def _run_parallel(args, done, settle, *, workers, scheduler, progress, trials, order) -> bool:
    """Run the chunks ``workers`` at a time (waves keep memory to a few chunks); stop
    when ``settle`` says the target is met. Results are kept by chunk index."""
    wave = max(2, 2 * workers)
    if scheduler is not None:
        client, cluster = _dask_client(scheduler, workers)
        try:
            for a in range(0, len(args), wave):
                futures = client.map(_run_args, args[a:a + wave], pure=False)
                for out in client.gather(futures):
                    done[out.index] = out
                if progress:
                    progress(sum(len(c.units_lost) for c in order), trials)
                if settle():
                    return True
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return False
    with _pool_map(workers) as pool:
        for a in range(0, len(args), wave):
            for out in pool.map(_run_args, args[a:a + wave]):
                done[out.index] = out
            if progress:
                progress(sum(len(c.units_lost) for c in order), trials)
            if settle():
                return True
    return False


def _run_args(a: tuple) -> ChunkOut:
    return run_chunk(*a)


def _dask_client(scheduler: str, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InfeasibleError("a Dask scheduler needs dask.distributed: pip install 'supplychain[cluster]'") from None
    if scheduler == "local":
        import dask

        # numpy's large per-period temporaries: Dask's nanny sets MALLOC_TRIM_THRESHOLD_
        # to 64 KiB in its workers, so glibc hands every freed array back to the system
        # and maps it afresh the next period; with the thresholds raised the workers
        # allocate as a plain process does
        env = {"MALLOC_TRIM_THRESHOLD_": str(256 * 2 ** 20), "MALLOC_MMAP_THRESHOLD_": str(64 * 2 ** 20)}
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    return Client(scheduler), None
