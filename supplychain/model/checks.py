"""Rules that relate the entries of a model to each other, all reported at once.

:func:`check_model` returns every :class:`~supplychain.errors.Problem` it finds (unknown
ids with a "did you mean", BOM cycles in order, shares that do not sum to 1, unknown
country codes, …). :func:`check_scenario` does the same for a scenario against its
model. Loaders raise one :class:`~supplychain.errors.ModelError` carrying them all.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import Collection, Iterable, Mapping

from supplychain.errors import Problem
from supplychain.model.countries import builtin_groups, close_matches, is_country, suggest_country
from supplychain.model.schema import Disruption, Embargo, Mitigation, Model, Scenario

__all__ = [
    "check_model",
    "check_scenario",
    "check_disruption",
    "check_mitigation",
    "Vocabulary",
    "expand_countries",
    "expand_names",
    "topological_parts",
    "SHARE_TOLERANCE",
]

SHARE_TOLERANCE = 1e-6


def _unknown(kind: str, ref: str, known: Iterable[str]) -> str:
    hint = close_matches(ref, known)
    return f"unknown {kind} {ref!r}" + (f"; did you mean {hint!r}?" if hint else "")


def _country_problem(code: str, path: tuple, what: str) -> Problem | None:
    if is_country(code):
        return None
    hint = suggest_country(code)
    fix = f"; did you mean {hint!r}?" if hint else "; use an ISO 3166-1 alpha-2 code such as 'TR'"
    return Problem(f"{what} {code!r} is not a country code{fix}", path)


def expand_countries(
    model: Model, names: Iterable[str], *, as_of: date | None = None
) -> frozenset[str]:
    """Country codes named by ``names``: codes as they are, groups expanded recursively.

    User groups (``model.groups``) win over the built-in ``NATO`` and ``EU``; built-in
    membership is taken on ``as_of`` (default: the model's ``as_of``, else current).

    >>> from supplychain.model.schema import Model
    >>> m = Model(home="TR", suppliers={}, parts={}, demand={}, groups={"NORTH": ("NO", "IS")})
    >>> sorted(expand_countries(m, ["NORTH", "CA"]))
    ['CA', 'IS', 'NO']
    >>> "GB" in expand_countries(m, ["EU"], as_of=date(2019, 10, 15))
    True
    >>> "GB" in expand_countries(m, ["EU"], as_of=date(2021, 1, 1))
    False
    """
    return expand_names(names, groups=model.groups, as_of=as_of if as_of is not None else model.as_of)


def expand_names(names: Iterable[str], *, groups: Mapping[str, Iterable[str]], as_of: date | None) -> frozenset[str]:
    """:func:`expand_countries` given the user ``groups`` and the date ``as_of`` itself."""
    builtins = builtin_groups()
    out: set[str] = set()
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in groups:
            stack.extend(groups[name])
        elif name in builtins:
            out |= builtins[name].members_on(as_of)
        else:
            out.add(name)
    return frozenset(out)


def _bom_edges(model: Model) -> dict[str, list[str]]:
    """parent -> children (primary and alternates), for known children only."""
    edges: dict[str, list[str]] = {}
    for pid, part in model.parts.items():
        kids = []
        for child, line in part.bom.items():
            kids.append(child)
            kids.extend(a.part for a in line.alternates)
        edges[pid] = [k for k in kids if k in model.parts]
    return edges


def topological_parts(model: Model) -> list[str]:
    """Parts ordered parents before children (Kahn's algorithm, linear time).

    Ties keep the file's order, so the result is deterministic. Raises ``ValueError``
    on a cycle (run :func:`check_model` first for a readable report).
    """
    order = _kahn(model, _bom_edges(model))
    if len(order) != len(model.parts):
        raise ValueError("the BOM has a cycle")
    return order


def _kahn(model: Model, edges: dict[str, list[str]]) -> list[str]:
    """Kahn's algorithm: the parts that can be ordered; fewer than all on a cycle."""
    indeg = dict.fromkeys(model.parts, 0)
    for kids in edges.values():
        for k in kids:
            indeg[k] += 1
    queue = deque(p for p, d in indeg.items() if d == 0)
    order = []
    while queue:
        p = queue.popleft()
        order.append(p)
        for k in edges[p]:
            indeg[k] -= 1
            if indeg[k] == 0:
                queue.append(k)
    return order


def _cycles(model: Model) -> list[list[str]]:
    """One cycle per strongly connected knot of the BOM, in order."""
    import networkx as nx

    edges = _bom_edges(model)
    ordered = _kahn(model, edges)
    if len(ordered) == len(model.parts):
        return []  # the common case, in linear time
    # only parts Kahn could not order can be on a cycle
    rest = set(model.parts).difference(ordered)
    g = nx.DiGraph()
    for p in rest:
        g.add_edges_from((p, k) for k in edges[p] if k in rest)
    position = {p: i for i, p in enumerate(model.parts)}
    cycles = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) == 1:
            (n,) = comp
            if not g.has_edge(n, n):
                continue
        first = min(comp, key=position.__getitem__)
        cyc = nx.find_cycle(g.subgraph(comp), source=first)
        cycles.append([u for u, _ in cyc] + [cyc[0][0]])
    cycles.sort(key=lambda c: position[c[0]])
    return cycles


def check_model(model: Model) -> list[Problem]:
    """Every rule that relates entries to each other; an empty list means valid."""
    problems: list[Problem] = []
    add = problems.append
    parts, suppliers = model.parts, model.suppliers

    if p := _country_problem(model.home, ("home",), "home"):
        add(p)
    for sid, s in suppliers.items():
        if p := _country_problem(s.country, ("suppliers", sid, "country"), "country"):
            add(p)
        if s.owner is not None and (p := _country_problem(s.owner, ("suppliers", sid, "owner"), "owner")):
            add(p)

    builtins = builtin_groups()
    for gid, members in model.groups.items():
        if is_country(gid):
            add(Problem(f"group name {gid!r} is a country code; choose another name", ("groups", gid)))
        for i, m in enumerate(members):
            if m in model.groups or m in builtins or is_country(m):
                continue
            hint = suggest_country(m) or close_matches(m, [*model.groups, *builtins])
            fix = f"; did you mean {hint!r}?" if hint else ""
            add(Problem(f"group {gid!r} lists {m!r}, neither a country code nor a group{fix}", ("groups", gid, i)))
    problems += _group_cycles(model)

    for pid, part in parts.items():
        if not part.sources:
            add(Problem(
                f"part {pid!r} has no sources; add one (in-house making is a supplier in home)",
                ("parts", pid, "sources"),
            ))
        seen: set[str] = set()
        for i, src in enumerate(part.sources):
            path = ("parts", pid, "sources", i)
            if src.supplier not in suppliers:
                add(Problem(f"part {pid!r} lists " + _unknown("supplier", src.supplier, suppliers), (*path, "supplier")))
            elif src.supplier in seen:
                add(Problem(f"part {pid!r} lists supplier {src.supplier!r} twice; merge the two sources", (*path, "supplier")))
            seen.add(src.supplier)
            if src.qualified is True and src.qualification_time is not None:
                add(Problem(
                    "qualified: true contradicts a qualification_time; drop one of them",
                    (*path, "qualification_time"),
                ))
        qual = [s for s in part.sources if s.is_qualified]
        given = [s.share for s in qual if s.share is not None]
        if given:
            if len(given) != len(qual):
                add(Problem(
                    f"part {pid!r}: give a share for every qualified source or for none "
                    f"({len(given)} of {len(qual)} have one)",
                    ("parts", pid, "sources"),
                ))
            elif abs(sum(given) - 1.0) > SHARE_TOLERANCE:
                add(Problem(
                    f"shares of the qualified sources of part {pid!r} sum to {sum(given):g}, not 1; "
                    "make them sum to 1, or drop every share for an equal split",
                    ("parts", pid, "sources"),
                ))
        for child, line in part.bom.items():
            path = ("parts", pid, "bom", child)
            if child not in parts:
                add(Problem(f"part {pid!r} uses " + _unknown("part", child, parts), path))
            if child == pid:
                continue  # reported as a cycle
            for j, alt in enumerate(line.alternates):
                apath = (*path, "alternates", j, "part")
                if alt.part == pid:
                    add(Problem(f"alternate {alt.part!r} is its own parent; an assembly cannot replace a line of itself", apath))
                elif alt.part == child:
                    add(Problem(f"alternate {alt.part!r} is the line's own part", apath))
                elif alt.part not in parts:
                    add(Problem(f"part {pid!r} lists " + _unknown("alternate part", alt.part, parts), apath))

    for cyc in _cycles(model):
        if len(cyc) == 2 and cyc[0] not in model.parts[cyc[0]].bom:
            continue  # only an alternate points back at its parent: reported above
        if len(cyc) == 2:
            add(Problem(f"part {cyc[0]!r} uses itself", ("parts", cyc[0], "bom")))
        else:
            add(Problem("BOM cycle: " + " -> ".join(cyc), ("parts", cyc[0], "bom")))

    for item in model.demand:
        if item not in parts:
            add(Problem("demand for " + _unknown("part", item, parts), ("demand", item)))
    if not model.demand:
        add(Problem("no demand: name at least one end item with its planned rate", ("demand",)))
    if model.mitigation is not None:
        problems += check_mitigation(model, model.mitigation, ("mitigation",))
    return problems


def check_mitigation(model: Model, mit: Mitigation, path: tuple = ()) -> list[Problem]:
    """A mitigation's candidate actions against the model: parts, sources, alternates
    and suppliers that exist, sources that can still be qualified, no new source that
    the part already has."""
    problems: list[Problem] = []
    add = problems.append
    parts = model.parts
    suppliers = {**model.suppliers, **mit.suppliers}
    for sid, sup in mit.suppliers.items():
        if sid in model.suppliers:
            add(Problem(f"supplier {sid!r} is in the model already; drop it here", (*path, "suppliers", sid)))
        if p := _country_problem(sup.country, (*path, "suppliers", sid, "country"), "country"):
            add(p)
        if sup.owner is not None and (p := _country_problem(sup.owner, (*path, "suppliers", sid, "owner"), "owner")):
            add(p)
    for pid in mit.stock:
        if pid not in parts:
            add(Problem("stock option for " + _unknown("part", pid, parts), (*path, "stock", pid)))

    def source_of(pid: str, sid: str, where: tuple):
        if pid not in parts:
            add(Problem("option names " + _unknown("part", pid, parts), (*where, "part")))
            return None
        src = next((s for s in parts[pid].sources if s.supplier == sid), None)
        if src is None:
            listed = [s.supplier for s in parts[pid].sources]
            add(Problem(f"part {pid!r} has no source {sid!r}" + (
                f"; did you mean {close_matches(sid, listed)!r}?" if close_matches(sid, listed) else
                f"; its sources are {', '.join(map(repr, listed))}"), (*where, "supplier")))
        return src

    for i, q in enumerate(mit.qualify):
        where = (*path, "qualify", i)
        if q.supplier is not None:
            src = source_of(q.part, q.supplier, where)
            if src is None:
                continue
            if src.is_qualified:
                add(Problem(f"source {q.supplier!r} of part {q.part!r} is qualified already; "
                            "there is nothing to qualify sooner", (*where, "supplier")))
            elif src.qualification_time is None:
                add(Problem(f"source {q.supplier!r} of part {q.part!r} has no qualification_time; "
                            "give it one in the model to qualify it sooner", (*where, "supplier")))
            elif q.min_time > src.qualification_time:
                add(Problem(f"min_time {q.min_time} is above the qualification_time "
                            f"{src.qualification_time}", (*where, "min_time")))
        else:
            if q.part not in parts:
                add(Problem("option names " + _unknown("part", q.part, parts), (*where, "part")))
                continue
            alts = {a.part: a for line in parts[q.part].bom.values() for a in line.alternates}
            if q.alternate not in alts:
                add(Problem(f"part {q.part!r} has no alternate {q.alternate!r} on its BOM lines" + (
                    f"; its alternates are {', '.join(map(repr, alts))}" if alts else "; it has none"),
                    (*where, "alternate")))
            elif alts[q.alternate].qualification_time == 0:
                add(Problem(f"alternate {q.alternate!r} of part {q.part!r} is usable at once already",
                            (*where, "alternate")))
            elif q.min_time > alts[q.alternate].qualification_time:
                add(Problem(f"min_time {q.min_time} is above the qualification_time "
                            f"{alts[q.alternate].qualification_time}", (*where, "min_time")))
    for i, c in enumerate(mit.capacity):
        where = (*path, "capacity", i)
        src = source_of(c.part, c.supplier, where)
        if src is not None and src.capacity is None and parts[c.part].capacity is None:
            add(Problem(f"source {c.supplier!r} of part {c.part!r} has no capacity limit; "
                        "more capacity buys nothing", (*where, "supplier")))
    seen: set[tuple[str, str]] = set()
    for i, n in enumerate(mit.new_sources):
        where = (*path, "new_sources", i)
        if n.part not in parts:
            add(Problem("new source for " + _unknown("part", n.part, parts), (*where, "part")))
            continue
        if n.supplier not in suppliers:
            add(Problem("new source names " + _unknown("supplier", n.supplier, suppliers)
                        + "; add it to the mitigation's suppliers", (*where, "supplier")))
        elif any(s.supplier == n.supplier for s in parts[n.part].sources) or (n.part, n.supplier) in seen:
            add(Problem(f"part {n.part!r} already has a source {n.supplier!r}", (*where, "supplier")))
        seen.add((n.part, n.supplier))
    return problems


def _group_cycles(model: Model) -> list[Problem]:
    out = []
    for gid in model.groups:
        stack, seen = [(gid, (gid,))], set()
        while stack:
            g, trail = stack.pop()
            for m in model.groups.get(g, ()):
                if m == gid:
                    out.append(Problem("group cycle: " + " -> ".join((*trail, m)), ("groups", gid)))
                    stack.clear()
                    break
                if m in model.groups and m not in seen:
                    seen.add(m)
                    stack.append((m, (*trail, m)))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """The names a scenario may use against a model: part and supplier ids, user groups,
    and the tags and control classes its parts carry. Build it with :meth:`of`."""

    parts: Collection[str]
    suppliers: Collection[str]
    groups: Mapping[str, Iterable[str]]
    tags: frozenset[str]
    controls: frozenset[str]

    @classmethod
    def of(cls, model: Model) -> "Vocabulary":
        return cls(
            parts=model.parts.keys(),
            suppliers=model.suppliers.keys(),
            groups=model.groups,
            tags=frozenset(t for p in model.parts.values() for t in p.tags),
            controls=frozenset(c for p in model.parts.values() for c in p.control),
        )


def _check_names(vocab: Vocabulary, names: Iterable[str], path: tuple, what: str) -> list[Problem]:
    """Each name must be a country code or a group (user or built-in)."""
    groups = set(vocab.groups) | set(builtin_groups())
    problems = []
    for i, name in enumerate(names):
        if name in groups or is_country(name):
            continue
        hint = suggest_country(name) or close_matches(name, groups)
        fix = (f"; did you mean {hint!r}?" if hint else
               "; use an ISO 3166-1 alpha-2 code or a group name (`supplychain groups` lists the built-in ones)")
        problems.append(Problem(f"{what} {name!r} is neither a country code nor a group{fix}", (*path, i)))
    return problems


def _check_embargo(vocab: Vocabulary, e: Embargo, path: tuple) -> list[Problem]:
    problems = _check_names(vocab, e.imposed_by, (*path, "imposed_by"), "imposed_by")
    if e.uncertain is not None:
        for j, f in enumerate(e.uncertain.followers):
            problems += _check_names(vocab, f.imposed_by, (*path, "uncertain", "followers", j, "imposed_by"),
                                     "imposed_by")
    if e.against is not None:
        problems += _check_names(vocab, e.against, (*path, "against"), "against")
    if e.items != "all":
        for field, known, vals in (("tags", vocab.tags, e.items.tags), ("control", vocab.controls, e.items.control),
                                   ("parts", vocab.parts, e.items.parts)):
            for i, v in enumerate(vals):
                if v not in known and not (field == "control" and _control_prefix(v, vocab.controls)):
                    what = {"tags": "tag", "control": "control class", "parts": "part"}[field]
                    problems.append(Problem(
                        f"items filter names {_unknown(what, v, known)} (no part in the model has it)",
                        (*path, "items", field, i),
                    ))
    return problems


def _control_prefix(v: str, ctrl: Iterable[str]) -> bool:
    # `EAR` matches `EAR:6A003`: a regime name covers its classes
    return any(c.split(":", 1)[0] == v for c in ctrl)


def check_disruption(vocab: Vocabulary, d: Disruption, path: tuple = ()) -> list[Problem]:
    """A disruption's suppliers, parts and countries against the model's names."""
    problems = []
    for j, s in enumerate(d.suppliers):
        if s not in vocab.suppliers:
            problems.append(Problem("disruption names " + _unknown("supplier", s, vocab.suppliers), (*path, "suppliers", j)))
    for j, p in enumerate(d.parts):
        if p not in vocab.parts:
            problems.append(Problem("disruption names " + _unknown("part", p, vocab.parts), (*path, "parts", j)))
    problems += _check_names(vocab, d.countries, (*path, "countries"), "country")
    return problems


def start_outside(start: int, horizon: int) -> str | None:
    """Why an event starting in period ``start`` cannot run within ``horizon`` periods,
    or None when it can: the one rule for scenario events and the stress test's start.

    >>> start_outside(200, 156)
    'starts in period 200, at or after the horizon (156 periods: 0 to 155), so it never happens in this run; start it before period 156 or lengthen the horizon'
    """
    if 0 <= start < horizon:
        return None
    return (f"starts in period {start}, at or after the horizon ({horizon} periods: 0 to {horizon - 1}), "
            f"so it never happens in this run; start it before period {horizon} or lengthen the horizon")


def check_scenario(model: Model | Vocabulary, scenario: Scenario, *, horizon: int | None = None) -> list[Problem]:
    """A scenario's references against its model -- countries, groups, items, ids --
    and its events against the horizon (``horizon``, default the scenario's).

    Pass the model, or its :class:`Vocabulary` when many scenarios are checked.
    """
    vocab = model if isinstance(model, Vocabulary) else Vocabulary.of(model)
    h = scenario.horizon if horizon is None else horizon
    problems: list[Problem] = []
    um = scenario.uncertain_model
    for j, u in enumerate(um.stock if um else ()):
        if u.part not in vocab.parts:
            problems.append(Problem("uncertain stock names " + _unknown("part", u.part, vocab.parts),
                                    ("uncertain_model", "stock", j, "part")))
    for kind, listed in (("sources", um.sources if um else ()), ("links", um.links if um else ())):
        what = "uncertain source" if kind == "sources" else "uncertain link"
        for j, u in enumerate(listed):
            if u.part not in vocab.parts:
                problems.append(Problem(f"{what} names " + _unknown("part", u.part, vocab.parts),
                                        ("uncertain_model", kind, j, "part")))
            elif u.supplier not in vocab.suppliers:
                problems.append(Problem(f"{what} names " + _unknown("supplier", u.supplier, vocab.suppliers),
                                        ("uncertain_model", kind, j, "supplier")))
    for kind, events in (("embargoes", scenario.embargoes), ("disruptions", scenario.disruptions)):
        for i, e in enumerate(events):
            problems += _check_embargo(vocab, e, (kind, i)) if kind == "embargoes" else \
                check_disruption(vocab, e, (kind, i))
            if (why := start_outside(e.start, h)) is not None:
                what = "embargo" if kind == "embargoes" else "disruption"
                problems.append(Problem(f"{what} {e.name or i + 1!r} {why}", (kind, i, "start")))
    return problems
