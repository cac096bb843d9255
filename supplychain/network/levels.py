"""The per-level structures of a compiled network: slices, small sparse blocks, delay runs.

Parts are numbered by BOM level (0 = no BOM, then 1 + the highest level of any child),
so each level is a contiguous slice of parts, of BOM lines (grouped by parent), of line
members (a line's child, then its alternates) and of sources (sorted by delay within the
level). Everything a period's level-by-level pass needs is built here once, when the
network is compiled, so the period loop never rebuilds an index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Level", "DelayRun", "RankGroup", "SourceOrder", "build_levels", "build_source_order", "delay_rank"]


@dataclass(frozen=True, eq=False)
class DelayRun:
    """Sources ``[start, stop)`` of a level (local positions) that share one delay."""

    delay: int
    start: int
    stop: int


@dataclass(frozen=True, eq=False)
class RankGroup:
    """A level's sources of one delay rank among their part's sources (0 = quickest).

    ``positions`` are local to the level's sources, ``owner`` the part of each (local to
    the level's parts), ``to_part`` sums them per part (level parts x group sources).
    """

    positions: np.ndarray
    owner: np.ndarray
    to_part: sp.csr_array


@dataclass(frozen=True, eq=False)
class Level:
    """One BOM level: its slices and the small sparse blocks the level pass multiplies by."""

    a: int  # parts [a, b)
    b: int
    la: int  # lines [la, lb), whose parents are this level's parts
    lb: int
    ma: int  # members [ma, mb) of those lines
    mb: int
    sa: int  # sources [sa, sb) of this level's parts, by delay
    sb: int
    line_by_mem: sp.csr_array  # (lb - la, mb - ma): sum over a line's members
    touched: np.ndarray  # the parts the members of these lines are
    part_by_mem: sp.csr_array  # (len(touched), mb - ma)
    parent_starts: np.ndarray  # reduceat offsets of each parent's lines within [la, lb)
    multi_steps: tuple[tuple[np.ndarray, np.ndarray], ...]  # per position j >= 1 in a line: (members, predecessors)
    src_to_part: sp.csr_array  # (b - a, sb - sa): shipments of the level's sources, per part
    delay_runs: tuple[DelayRun, ...]  # runs of sources with a delay > 0
    zero_run: DelayRun | None  # the sources with no delay: their output is usable at once
    delayed: np.ndarray  # local positions of the sources with a delay > 0 ...
    delayed_delay: np.ndarray  # ... and their delays
    zero_to_part: sp.csr_array | None  # (b - a, sources of the zero run)
    scatter: bool  # ship by one scatter rather than slice by slice (many short delay runs)
    src_owner: np.ndarray  # (sb - sa,) the part of each source, local to the level
    rank_groups: tuple[RankGroup, ...]  # the level's sources by delay rank, quickest first
    part_src: np.ndarray  # local positions of the level's sources, by part, then rank, then index ...
    part_src_ptr: np.ndarray  # ... part i's (local) are part_src[ptr[i]:ptr[i + 1]]
    part_src_rank: np.ndarray  # the rank of each source so listed

    @property
    def parts(self) -> slice:
        return slice(self.a, self.b)

    @property
    def lines(self) -> slice:
        return slice(self.la, self.lb)

    @property
    def members(self) -> slice:
        return slice(self.ma, self.mb)

    @property
    def sources(self) -> slice:
        return slice(self.sa, self.sb)

    @property
    def has_lines(self) -> bool:
        return self.lb > self.la


@dataclass(frozen=True, eq=False)
class SourceOrder:
    """Every part's sources, quickest first: ``order[start[p]:start[p] + count[p]]`` are
    part ``p``'s sources by delay rank, then index; ``rank`` is each listed source's rank."""

    order: np.ndarray
    start: np.ndarray
    count: np.ndarray
    rank: np.ndarray


def delay_rank(src_part: np.ndarray, src_delay: np.ndarray) -> np.ndarray:
    """Each source's rank among its part's distinct delays: 0 for the quickest."""
    S = len(src_part)
    if not S:
        return np.zeros(0, dtype=np.int64)
    o = np.lexsort((src_delay, src_part))
    p, d = src_part[o], src_delay[o]
    new_part = np.r_[True, p[1:] != p[:-1]]
    step = np.r_[0, ((d[1:] != d[:-1]) & ~new_part[1:]).astype(np.int64)]
    cum = np.cumsum(step)
    rank_sorted = cum - np.maximum.accumulate(np.where(new_part, cum, 0))
    rank = np.empty(S, dtype=np.int64)
    rank[o] = rank_sorted
    return rank


def build_source_order(src_part: np.ndarray, src_rank: np.ndarray, n_parts: int) -> SourceOrder:
    S = len(src_part)
    order = np.lexsort((np.arange(S), src_rank, src_part)) if S else np.zeros(0, dtype=np.int64)
    count = np.bincount(src_part, minlength=n_parts)
    start = np.concatenate(([0], np.cumsum(count)[:-1])) if n_parts else np.zeros(0, dtype=np.int64)
    return SourceOrder(order=order, start=start, count=count, rank=src_rank[order])


def _delay_runs(delays: np.ndarray) -> list[DelayRun]:
    if not len(delays):
        return []
    bounds = np.flatnonzero(np.diff(delays)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(delays)]))
    return [DelayRun(int(delays[i]), int(i), int(j)) for i, j in zip(starts, ends)]


def build_levels(
    *,
    level_ptr: np.ndarray,
    level_line_ptr: np.ndarray,
    level_src_ptr: np.ndarray,
    line_parent: np.ndarray,
    mem_line: np.ndarray,
    mem_part: np.ndarray,
    src_part: np.ndarray,
    src_delay: np.ndarray,
    src_rank: np.ndarray,
    line_by_mem: sp.csr_array,
    part_by_src: sp.csr_array,
) -> tuple[Level, ...]:
    """The :class:`Level` of each BOM level, leaves first."""
    out = []
    for lv in range(len(level_ptr) - 1):
        a, b = int(level_ptr[lv]), int(level_ptr[lv + 1])
        la, lb = int(level_line_ptr[lv]), int(level_line_ptr[lv + 1])
        sa, sb = int(level_src_ptr[lv]), int(level_src_ptr[lv + 1])
        ma = int(np.searchsorted(mem_line, la))
        mb = int(np.searchsorted(mem_line, lb))
        lines = mem_line[ma:mb]
        pos_in_line = np.arange(mb - ma) - (np.searchsorted(mem_line, lines) - ma)
        steps = tuple((np.flatnonzero(pos_in_line == j), np.flatnonzero(pos_in_line == j) - 1)
                      for j in range(1, int(pos_in_line.max(initial=0)) + 1))
        touched, touched_inv = np.unique(mem_part[ma:mb], return_inverse=True)
        runs = _delay_runs(src_delay[sa:sb])
        zero = [r for r in runs if r.delay == 0]
        ranks = src_rank[sa:sb]
        groups = []
        for r in range(int(ranks.max(initial=-1)) + 1):
            idx = np.flatnonzero(ranks == r)
            owner = src_part[sa + idx] - a
            groups.append(RankGroup(idx, owner, sp.csr_array((np.ones(len(idx)), (owner, np.arange(len(idx)))),
                                                             shape=(b - a, len(idx)))))
        out.append(Level(
            a=a, b=b, la=la, lb=lb, ma=ma, mb=mb, sa=sa, sb=sb,
            line_by_mem=line_by_mem[la:lb][:, ma:mb].tocsr(),
            touched=touched,
            part_by_mem=sp.csr_array((np.ones(mb - ma), (touched_inv, np.arange(mb - ma))),
                                     shape=(len(touched), mb - ma)),
            parent_starts=(np.searchsorted(line_parent[la:lb], np.arange(a, b)) if lb > la
                           else np.zeros(0, dtype=np.int64)),
            multi_steps=steps,
            src_to_part=part_by_src[a:b][:, sa:sb].tocsr(),
            delay_runs=tuple(r for r in runs if r.delay > 0),
            zero_run=zero[0] if zero else None,
            delayed=np.flatnonzero(src_delay[sa:sb] > 0),
            delayed_delay=src_delay[sa:sb][src_delay[sa:sb] > 0],
            zero_to_part=(part_by_src[a:b][:, sa + zero[0].start:sa + zero[0].stop].tocsr() if zero else None),
            # a slice costs about what a scatter of ~200 elements does
            scatter=bool(len(runs)) and (sb - sa) < 200 * len(runs),
            src_owner=src_part[sa:sb] - a,
            rank_groups=tuple(groups),
            part_src=(by := np.lexsort((np.arange(sb - sa), ranks, src_part[sa:sb]))),
            part_src_ptr=np.searchsorted(src_part[sa:sb][by], np.arange(a, b + 1)),
            part_src_rank=ranks[by],
        ))
    return tuple(out)
