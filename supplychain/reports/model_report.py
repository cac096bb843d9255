"""What ``supplychain validate`` and ``supplychain show`` print, as data and as rich text.

Two layers, kept apart so the JSON and the terminal always say the same thing:

* ``*_dict`` / :func:`model_summary` gather figures into plain dicts (JSON-ready). They
  count and reshape; every derived figure (tiers, BOM rows, supplier countries) comes
  from :mod:`supplychain.graph`.
* ``render_*`` / ``*_line`` turn those dicts into rich renderables or text. They never
  look at the model again.

Quantities are units of the part; ``qty`` is per unit of the parent line,
``qty_per_end_item`` per unit of the end item at the root of the tree; qualification
times are in the model's periods.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from supplychain.errors import ModelError, Problem, format_path
from supplychain.graph.bom import bom_tree, supplier_countries, tiers
from supplychain.model.countries import country_name
from supplychain.model.schema import Model, Scenario
from supplychain.reports.format import fmt_number

__all__ = [
    "problem_dict",
    "validation_dict",
    "validation_line",
    "model_summary",
    "render_summary",
]


# -- validate ---------------------------------------------------------------------------


def problem_dict(problem: Problem) -> dict[str, Any]:
    """A problem as ``{file, path, message}``; ``file`` carries ``:line`` for YAML."""
    return {"file": problem.file, "path": format_path(problem.path), "message": problem.message}


def _counts(model: Model) -> dict[str, int]:
    return {"parts": len(model.parts), "suppliers": len(model.suppliers), "end_items": len(model.demand)}


def validation_dict(
    file: str,
    *,
    model: Model | None = None,
    scenario: Scenario | None = None,
    error: ModelError | None = None,
    warnings: Iterable[str] = (),
) -> dict[str, Any]:
    """One file's verdict for ``validate --json``.

    ``{file, valid, kind, counts, problems: [{file, path, message}], warnings: [str]}``;
    ``kind`` is ``"model"`` or ``"scenario"`` and ``counts`` the model's sizes when the
    file loaded, both ``None`` when it did not.

    >>> from supplychain.errors import ModelError, Problem
    >>> d = validation_dict("m.yaml", error=ModelError([Problem("bad", ("home",), "m.yaml:2")]))
    >>> d["valid"], d["problems"]
    (False, [{'file': 'm.yaml:2', 'path': 'home', 'message': 'bad'}])
    """
    valid = error is None and model is not None
    out: dict[str, Any] = {
        "file": file,
        "valid": valid,
        "kind": None,
        "counts": None,
        "problems": [problem_dict(p) for p in error.problems] if error is not None else [],
        "warnings": list(warnings),
    }
    if valid:
        out["kind"] = "scenario" if scenario is not None else "model"
        out["counts"] = _counts(model)
        if scenario is not None:
            out["counts"].update(
                embargoes=len(scenario.embargoes), disruptions=len(scenario.disruptions), horizon=scenario.horizon
            )
    return out


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def validation_line(entry: dict[str, Any]) -> str:
    """The one-line verdict of a valid file, e.g. ``ok: m.yaml (model: 2 parts, …)``.

    >>> validation_line({"file": "m.yaml", "kind": "model",
    ...                  "counts": {"parts": 2, "suppliers": 1, "end_items": 1}})
    'ok: m.yaml (model: 2 parts, 1 supplier, 1 end item)'
    """
    c = entry["counts"]
    model = f"{_plural(c['parts'], 'part')}, {_plural(c['suppliers'], 'supplier')}, {_plural(c['end_items'], 'end item')}"
    if entry["kind"] == "scenario":
        what = (
            f"scenario: {_plural(c['embargoes'], 'embargo')}, {_plural(c['disruptions'], 'disruption')}, "
            f"horizon {c['horizon']}; model: {model}"
        )
    else:
        what = f"model: {model}"
    return f"ok: {entry['file']} ({what})"


# -- show -------------------------------------------------------------------------------


def _source_dicts(model: Model, pid: str) -> list[dict[str, Any]]:
    return [
        {
            "supplier": s.supplier,
            "country": model.suppliers[s.supplier].country,
            "qualified": s.is_qualified,
            "qualification_time": None if s.is_qualified else (s.qualification_time or 0),
        }
        for s in model.parts[pid].sources
    ]


def model_summary(
    model: Model, *, scenario: Scenario | None = None, file: str | None = None, depth: int | None = None
) -> dict[str, Any]:
    """Everything ``supplychain show`` prints, as plain data (the ``--json`` output).

    Keys: ``file``, ``name``, ``home``, ``period``, ``scenario`` (its name, else the file; None for a model file),
    ``counts`` (parts, suppliers, countries = distinct facility countries, end_items),
    ``countries`` (per facility country: code, name, supplier count, home flag; most
    suppliers first), ``tiers`` (per tier: part count; tier -1 = used by no end item)
    and ``end_items`` (per end item: planned rate and the indented BOM down to ``depth``
    levels below the end item, every level when ``None``).

    >>> from supplychain.model.schema import Model
    >>> m = Model.model_validate({"home": "TR", "suppliers": {"p": {"country": "TR"},
    ...     "x": {"country": "CA"}}, "parts": {"w": {"bom": {"g": 2}, "sources": [{"supplier": "p"}]},
    ...     "g": {"sources": [{"supplier": "x"}]}}, "demand": {"w": {"rate": 10}}})
    >>> s = model_summary(m)
    >>> s["counts"], s["tiers"]
    ({'parts': 2, 'suppliers': 2, 'countries': 2, 'end_items': 1}, [{'tier': 0, 'parts': 1}, {'tier': 1, 'parts': 1}])
    >>> [(r["depth"], r["part"], r["qty_per_end_item"], r["countries"]) for r in s["end_items"][0]["bom"]]
    [(0, 'w', 1.0, ['TR']), (1, 'g', 2.0, ['CA'])]
    """
    per_country = Counter(s.country for s in model.suppliers.values())
    countries = [
        {"country": c, "name": country_name(c), "suppliers": n, "home": c == model.home}
        for c, n in sorted(per_country.items(), key=lambda cn: (-cn[1], cn[0]))
    ]
    tier_counts = Counter(tiers(model).values())
    end_items = []
    for item, d in model.demand.items():
        rows = []
        for r in bom_tree(model, item, max_depth=depth):
            part = model.parts[r.part]
            rows.append({
                "depth": r.depth,
                "part": r.part,
                "name": part.name,
                "qty": r.qty,
                "qty_per_end_item": r.qty_per_end_item,
                "alternate_of": r.alternate_of,
                "qualification_time": r.qualification_time if r.alternate_of is not None else None,
                "countries": supplier_countries(model, r.part),
                "sources": _source_dicts(model, r.part),
            })
        end_items.append({"id": item, "name": model.parts[item].name, "rate": d.rate, "bom": rows})
    return {
        "file": file,
        "name": model.name,
        "home": model.home,
        "period": model.period.value,
        "scenario": (scenario.name or file or "(unnamed)") if scenario is not None else None,
        "counts": {
            "parts": len(model.parts),
            "suppliers": len(model.suppliers),
            "countries": len(per_country),
            "end_items": len(model.demand),
        },
        "countries": countries,
        "tiers": [{"tier": t, "parts": n} for t, n in sorted(tier_counts.items())],
        "end_items": end_items,
    }


def _periods(n: int, period: str) -> str:
    return f"{n} {period}{'s' if n != 1 else ''}"


def _row_label(row: dict[str, Any], *, root: str, period: str) -> Text:
    text = Text(row["part"], style="bold")
    if row["name"] and row["name"] != row["part"]:
        text.append(f" ({row['name']})")
    if row["depth"] > 0:
        text.append(f"  x{fmt_number(row['qty'])}", style="cyan")
        if row["depth"] > 1:
            text.append(f" ({fmt_number(row['qty_per_end_item'])} per {root})", style="cyan")
    if row["alternate_of"] is not None:
        t = row["qualification_time"] or 0
        when = "usable at once" if t == 0 else f"usable {_periods(t, period)} after the trigger"
        text.append(f"  alternate for {row['alternate_of']}, {when}", style="magenta")
    places = []
    for s in row["sources"]:
        if s["qualified"]:
            places.append(s["country"])
        else:
            places.append(f"{s['country']} (qualifies in {_periods(s['qualification_time'], period)})")
    # one entry per country, in source order, as supplier_countries gives them
    shown = list(dict.fromkeys(places))
    if shown:
        text.append("  " + ", ".join(shown), style="green")
    return text


def render_summary(summary: dict[str, Any]) -> RenderableType:
    """The ``show`` output for a terminal: header, counts, countries, tiers, BOM trees."""
    period = summary["period"]
    title = summary["name"] or summary["file"] or "model"
    head = Text(title, style="bold")
    head.append(f"  home {summary['home']}, time in {period}s")
    if summary["scenario"] is not None:
        head.append(f"  (as changed by scenario {summary['scenario']})")
    parts: list[RenderableType] = [head]

    counts = Table(title="Counts", title_justify="left", show_header=False)
    counts.add_column("what")
    counts.add_column("n", justify="right")
    for key, label in (("parts", "parts"), ("suppliers", "suppliers"), ("countries", "countries"),
                       ("end_items", "end items")):
        counts.add_row(label, str(summary["counts"][key]))
    parts.append(counts)

    table = Table(title="Supplier countries", title_justify="left")
    table.add_column("country")
    table.add_column("name")
    table.add_column("suppliers", justify="right")
    for c in summary["countries"]:
        table.add_row(c["country"] + (" (home)" if c["home"] else ""), c["name"], str(c["suppliers"]))
    parts.append(table)

    tier_table = Table(title="Tiers (0 = end items)", title_justify="left")
    tier_table.add_column("tier", justify="right")
    tier_table.add_column("parts", justify="right")
    for t in summary["tiers"]:
        tier_table.add_row("unused" if t["tier"] < 0 else str(t["tier"]), str(t["parts"]))
    parts.append(tier_table)

    for item in summary["end_items"]:
        tree: Tree | None = None
        stack: list[Tree] = []
        for row in item["bom"]:
            label = _row_label(row, root=item["id"], period=period)
            if tree is None:
                label.append(f"  plan {fmt_number(item['rate'])}/{period}", style="yellow")
                tree = Tree(label)
                stack = [tree]
                continue
            del stack[row["depth"]:]
            stack.append(stack[-1].add(label))
        if tree is not None:
            parts.append(Text(""))
            parts.append(tree)
    return Group(*parts)
