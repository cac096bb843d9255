"""Walking the bill of materials: where-used, the indented tree, tiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from supplychain.model.checks import topological_parts
from supplychain.model.schema import Model

__all__ = ["where_used", "bom_tree", "BomRow", "tiers", "supplier_countries", "end_items_using"]


def where_used(model: Model, part: str) -> dict[str, float]:
    """Direct parents of ``part`` and the quantity each uses (alternate lines included).

    >>> from supplychain.model.schema import Model
    >>> m = Model.model_validate({"home": "TR", "suppliers": {"s": {"country": "TR"}},
    ...     "parts": {"a": {"bom": {"c": 2}, "sources": [{"supplier": "s"}]},
    ...               "b": {"bom": {"c": 1}, "sources": [{"supplier": "s"}]},
    ...               "c": {"sources": [{"supplier": "s"}]}},
    ...     "demand": {"a": {"rate": 1}, "b": {"rate": 1}}})
    >>> where_used(m, "c")
    {'a': 2.0, 'b': 1.0}
    """
    out = {}
    for pid, p in model.parts.items():
        for child, line in p.bom.items():
            if child == part or any(a.part == part for a in line.alternates):
                out[pid] = out.get(pid, 0.0) + line.qty
    return out


def end_items_using(model: Model, part: str) -> list[str]:
    """End items whose BOM contains ``part`` at any tier (alternates included)."""
    parents: dict[str, set[str]] = {}
    for pid, p in model.parts.items():
        for child, line in p.bom.items():
            parents.setdefault(child, set()).add(pid)
            for a in line.alternates:
                parents.setdefault(a.part, set()).add(pid)
    seen, stack = {part}, [part]
    while stack:
        for q in parents.get(stack.pop(), ()):
            if q not in seen:
                seen.add(q)
                stack.append(q)
    return [e for e in model.demand if e in seen]


def tiers(model: Model) -> dict[str, int]:
    """Tier of each part: 0 for end items, else 1 + the highest tier of its users.

    The deepest path decides, so a part used both by an end item and by a sub-assembly
    sits below the sub-assembly. Parts no end item uses get tier -1.
    """
    order = topological_parts(model)
    tier = dict.fromkeys(model.parts, -1)
    for e in model.demand:
        tier[e] = 0
    for pid in order:
        t = tier[pid]
        if t < 0:
            continue
        for child, line in model.parts[pid].bom.items():
            for c in (child, *(a.part for a in line.alternates)):
                if tier[c] < t + 1:
                    tier[c] = t + 1
    return tier


def supplier_countries(model: Model, part: str) -> list[str]:
    """Facility countries of a part's sources, in source order, without repeats."""
    out = []
    for s in model.parts[part].sources:
        c = model.suppliers[s.supplier].country
        if c not in out:
            out.append(c)
    return out


@dataclass(frozen=True)
class BomRow:
    """One row of an indented BOM: depth, the part, qty per parent, per end item.

    ``repeat`` marks a sub-assembly already listed above with its children (they are
    not listed again); ``hidden`` counts the rows of its full BOM that a depth limit
    left out below this one."""

    depth: int
    part: str
    qty: float
    qty_per_end_item: float
    alternate_of: str | None = None
    qualification_time: int = 0
    repeat: bool = False
    hidden: int = 0


def _subtree_rows(model: Model) -> dict[str, int]:
    """Per part: the rows its BOM adds below it when every path is listed (a shared
    sub-assembly once per use)."""
    order = topological_parts(model)  # parents before children
    below: dict[str, int] = {}
    for pid in reversed(order):
        n = 0
        for child, line in model.parts[pid].bom.items():
            n += 1 + below.get(child, 0) + sum(1 + below.get(a.part, 0) for a in line.alternates)
        below[pid] = n
    return below


def bom_tree(
    model: Model, end_item: str, *, max_depth: int | None = None, max_rows: int = 100_000,
    shared_once: bool = False,
) -> Iterator[BomRow]:
    """The indented BOM of ``end_item``, depth first, alternates right under their line.

    ``max_depth`` stops the walk below that depth (0 = the end item alone; the row at
    the limit counts what it hides in ``hidden``); at most ``max_rows`` rows are
    produced. A shared sub-assembly appears under every user; with ``shared_once``
    its children are listed the first time only, later rows being ``repeat`` rows.

    >>> from supplychain.model.schema import Model
    >>> m = Model.model_validate({"home": "TR", "suppliers": {"s": {"country": "TR"}},
    ...     "parts": {"a": {"bom": {"b": 2, "k": 1}, "sources": [{"supplier": "s"}]},
    ...               "k": {"bom": {"b": 1}, "sources": [{"supplier": "s"}]},
    ...               "b": {"bom": {"c": 3}, "sources": [{"supplier": "s"}]},
    ...               "c": {"sources": [{"supplier": "s"}]}},
    ...     "demand": {"a": {"rate": 1}}})
    >>> [(r.depth, r.part, r.qty_per_end_item) for r in bom_tree(m, "a")]
    [(0, 'a', 1.0), (1, 'b', 2.0), (2, 'c', 6.0), (1, 'k', 1.0), (2, 'b', 1.0), (3, 'c', 3.0)]
    >>> [(r.part, r.repeat) for r in bom_tree(m, "a", shared_once=True)]
    [('a', False), ('b', False), ('c', False), ('k', False), ('b', True)]
    >>> [(r.part, r.hidden) for r in bom_tree(m, "a", max_depth=1, shared_once=True)]
    [('a', 0), ('b', 1), ('k', 2)]
    """
    below = _subtree_rows(model) if max_depth is not None else {}
    seen: set[str] = set()
    stack = [BomRow(0, end_item, 1.0, 1.0)]
    n = 0
    while stack and n < max_rows:
        row = stack.pop()
        n += 1
        if shared_once and row.part in seen:  # its BOM is listed above
            yield BomRow(**{**row.__dict__, "repeat": True})
            continue
        if max_depth is not None and row.depth >= max_depth:
            yield BomRow(**{**row.__dict__, "hidden": below.get(row.part, 0)}) if below.get(row.part) else row
            continue
        if shared_once and model.parts[row.part].bom:
            seen.add(row.part)
        yield row
        kids = []
        for child, line in model.parts[row.part].bom.items():
            kids.append(BomRow(row.depth + 1, child, line.qty, line.qty * row.qty_per_end_item))
            kids += [
                BomRow(row.depth + 1, a.part, line.qty, line.qty * row.qty_per_end_item, child, a.qualification_time)
                for a in line.alternates
            ]
        stack.extend(reversed(kids))
