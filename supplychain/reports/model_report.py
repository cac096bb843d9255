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
from datetime import date
from typing import Any, Iterable

from rich.console import Group, RenderableType
from rich.text import Text

from supplychain.errors import ModelError, Problem, format_path
from supplychain.graph.bom import bom_tree, supplier_countries, tiers
from supplychain.model.countries import GROUPS_VALID_AS_OF, builtin_groups, country_name
from supplychain.model.schema import Model, Scenario
from supplychain.reports.format import fmt_number, wrap

__all__ = [
    "problem_dict",
    "validation_dict",
    "validation_line",
    "model_summary",
    "render_summary",
    "groups_dict",
    "render_groups",
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
    """``1 part``, ``2 parts``, ``2 countries``, ``2 embargoes``."""
    if n == 1:
        return f"{n} {word}"
    if word.endswith("y"):
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}es" if word.endswith("o") else f"{n} {word}s"


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


#: BOM levels ``show`` prints below each end item unless asked (``--depth``); --json has all
SHOW_DEPTH = 6
#: rows of one end item's BOM at most, in the terminal and in --json
MAX_ROWS = 20_000


def _source_dicts(model: Model, pid: str) -> list[dict[str, Any]]:
    out = []
    for s in model.parts[pid].sources:
        sup = model.suppliers[s.supplier]
        out.append({
            "supplier": s.supplier,
            "country": sup.country,
            "owner": sup.owner or sup.country,
            "lead_time": s.lead_time,
            "capacity": s.capacity,
            "qualified": s.is_qualified,
            "qualification_time": None if s.is_qualified else (s.qualification_time or 0),
        })
    return out


def model_summary(
    model: Model, *, scenario: Scenario | None = None, file: str | None = None, depth: int | None = None,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    """Everything ``supplychain show`` prints, as plain data (the ``--json`` output).

    Keys: ``file``, ``name``, ``home``, ``period``, ``scenario`` (its name, else the file; None for a model file),
    ``counts`` (parts, suppliers, countries = distinct facility countries, end_items),
    ``countries`` (per facility country: code, name, supplier count, home flag; most
    suppliers first), ``tiers`` (per tier: part count; tier -1 = used by no end item)
    and ``end_items`` (per end item: planned rate and the indented BOM down to ``depth``
    levels below the end item, every level when ``None``; a shared sub-assembly lists
    its children once, later rows have ``repeat``; a row at the depth limit counts the
    rows it hides in ``hidden``; ``cut`` is true when ``max_rows`` stopped the list).
    Each BOM row carries the part's stock and its sources (supplier, country, owner,
    lead time, capacity, qualification).

    >>> from supplychain.model.schema import Model
    >>> m = Model.model_validate({"home": "TR", "suppliers": {"p": {"country": "TR"},
    ...     "x": {"country": "CA", "owner": "US"}}, "parts": {"w": {"bom": {"g": 2}, "sources": [{"supplier": "p"}]},
    ...     "g": {"stock": 5, "sources": [{"supplier": "x", "lead_time": 3}]}}, "demand": {"w": {"rate": 10}}})
    >>> s = model_summary(m)
    >>> s["counts"], s["tiers"]
    ({'parts': 2, 'suppliers': 2, 'countries': 2, 'end_items': 1}, [{'tier': 0, 'parts': 1}, {'tier': 1, 'parts': 1}])
    >>> [(r["depth"], r["part"], r["qty_per_end_item"], r["countries"], r["stock"]) for r in s["end_items"][0]["bom"]]
    [(0, 'w', 1.0, ['TR'], 0.0), (1, 'g', 2.0, ['CA'], 5.0)]
    >>> s["end_items"][0]["bom"][1]["sources"][0]["owner"], s["end_items"][0]["bom"][1]["sources"][0]["lead_time"]
    ('US', 3)
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
        for r in bom_tree(model, item, max_depth=depth, max_rows=max_rows + 1, shared_once=True):
            part = model.parts[r.part]
            rows.append({
                "depth": r.depth,
                "part": r.part,
                "name": part.name,
                "qty": r.qty,
                "qty_per_end_item": r.qty_per_end_item,
                "alternate_of": r.alternate_of,
                "qualification_time": r.qualification_time if r.alternate_of is not None else None,
                "repeat": r.repeat,
                "hidden": r.hidden,
                "stock": float(part.stock),
                "countries": supplier_countries(model, r.part),
                "sources": _source_dicts(model, r.part),
            })
        cut = len(rows) > max_rows
        end_items.append({"id": item, "name": model.parts[item].name, "rate": d.rate, "bom": rows[:max_rows],
                          "cut": cut})
    return {
        "file": file,
        "name": model.name,
        "home": model.home,
        "period": model.period.value,
        "scenario": (scenario.name or file or "(unnamed)") if scenario is not None else None,
        "depth": depth,
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


def _source_text(s: dict[str, Any], period: str) -> str:
    owner = f", owned {s['owner']}" if s["owner"] != s["country"] else ""
    bits = [f"{s['supplier']} ({s['country']}{owner})"]
    if s["lead_time"]:
        bits.append(f"lead {_periods(s['lead_time'], period)}")
    if s["capacity"] is not None:
        bits.append(f"cap {fmt_number(s['capacity'])}")
    if not s["qualified"]:
        bits.append(f"qualifies in {_periods(s['qualification_time'], period)}")
    return " ".join(bits)


def _row_text(row: dict[str, Any], *, root: str, period: str) -> str:
    text = row["part"]
    if row["name"] and row["name"] != row["part"]:
        text += f" ({row['name']})"
    if row["depth"] > 0:
        text += f" x{fmt_number(row['qty'])}"
        if row["depth"] > 1:
            text += f" ({fmt_number(row['qty_per_end_item'])} per {root})"
    if row["alternate_of"] is not None:
        t = row["qualification_time"] or 0
        when = "usable at once" if t == 0 else f"usable {_periods(t, period)} after the trigger"
        text += f"; alternate for {row['alternate_of']}, {when}"
    if row["repeat"]:
        return text + "; its BOM is listed above"
    if row["stock"]:
        text += f"; stock {fmt_number(row['stock'])}"
    if row["sources"]:
        text += "; from " + ", ".join(_source_text(s, period) for s in row["sources"])
    if row["hidden"]:
        text += f"; {fmt_number(row['hidden'])} rows below not shown"
    return text


def render_summary(summary: dict[str, Any], *, width: int = 80) -> RenderableType:
    """The ``show`` output for a terminal: header, counts, countries, tiers, BOM trees,
    every line at most ``width`` characters (ids are never split), with a notice
    wherever something is left out."""
    period = summary["period"]
    title = summary["name"] or summary["file"] or "model"
    head = f"{title}: home {summary['home']}, time in {period}s"
    if summary["scenario"] is not None:
        head += f" (as changed by scenario {summary['scenario']})"
    lines = wrap(head, width)
    c = summary["counts"]
    lines += wrap(f"{_plural(c['parts'], 'part')}, {_plural(c['suppliers'], 'supplier')} in "
                  f"{_plural(c['countries'], 'country')}, {_plural(c['end_items'], 'end item')}", width)
    lines += ["", "supplier countries (facilities):"]
    code = max((len(x["country"]) for x in summary["countries"]), default=2)
    for x in summary["countries"]:
        home = " (home)" if x["home"] else ""
        lines += wrap(f"{x['country']:<{code}}  {x['suppliers']:>4} {'supplier ' if x['suppliers'] == 1 else 'suppliers'}"
                      f"  {x['name']}{home}", width, indent=2, hang=code + 17)
    tiers_text = ", ".join(f"{'unused' if t['tier'] < 0 else 'tier ' + str(t['tier'])}: {t['parts']}"
                           for t in summary["tiers"])
    lines += [""] + wrap(f"parts per tier (0 = end items): {tiers_text}", width)
    for item in summary["end_items"]:
        lines.append("")
        for k, row in enumerate(item["bom"]):
            text = _row_text(row, root=item["id"], period=period)
            if k == 0:
                text += f"; plan {fmt_number(item['rate'])}/{period}"
            lines += wrap(text, width, indent=2 * row["depth"], hang=4)
        hidden = sum(r["hidden"] for r in item["bom"])
        if hidden:
            lines += wrap(f"[{fmt_number(hidden)} rows deeper than {summary['depth']} levels not shown: "
                          "--depth N for more, --json for all]", width)
        if item["cut"]:
            lines += wrap(f"[cut after {len(item['bom']):,} rows: --depth N to see fewer levels]", width)
        if any(r["repeat"] for r in item["bom"]):
            lines += wrap("[a sub-assembly used in several places lists its BOM the first time only]", width)
    return Group(*(Text(line) for line in lines))


# -- groups -----------------------------------------------------------------------------


def groups_dict(when: date | None = None) -> list[dict[str, Any]]:
    """The built-in groups for ``supplychain groups --json``: name, title, the members
    on ``when`` (default: today's membership in the data), every member's joined and
    left dates, and the sources."""
    out = []
    for name, g in builtin_groups().items():
        out.append({
            "name": name, "title": g.title, "members_on": sorted(g.members_on(when)),
            "members": {c: [j.isoformat(), None if left is None else left.isoformat()]
                        for c, (j, left) in g.members.items()},
            "sources": list(g.sources),
        })
    return out


def render_groups(groups: list[dict[str, Any]], *, when: date | None = None, width: int = 80) -> RenderableType:
    """Each group: its members on the date (with the dates they joined), its sources."""
    lines = wrap(f"Built-in country groups (membership data as of {GROUPS_VALID_AS_OF}); "
                 f"members {'on ' + when.isoformat() if when else 'today'}. A scenario expands a group on its "
                 "as_of date (else its start_date, else the model's).", width, hang=0)
    for g in groups:
        lines.append("")
        lines += wrap(f"{g['name']}: {g['title']}, {len(g['members_on'])} members", width)
        by_year: dict[str, list[str]] = {}
        for c in g["members_on"]:
            by_year.setdefault(g["members"][c][0][:4], []).append(c)
        joined = "; ".join(f"{year}: {' '.join(cs)}" for year, cs in sorted(by_year.items()))
        lines += wrap(f"joined {joined}", width, indent=2)
        left = [f"{c} {j[:4]}-{lv[:4]}" for c, (j, lv) in g["members"].items() if lv is not None]
        if left:
            lines += wrap("former members: " + ", ".join(left), width, indent=2)
        for src in g["sources"]:
            lines += wrap("source: " + src, width, indent=2)
    return Group(*(Text(line) for line in lines))
