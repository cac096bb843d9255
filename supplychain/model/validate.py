"""Plain data to a valid model, every problem at once: the one way a model is checked.

:func:`validate_model` runs pydantic (the shape of every field) and
:func:`~supplychain.model.checks.check_model` (the rules between entries). When some
entries are malformed they are set aside and the rest is still checked, so one report
lists shape errors and rule errors together. Loaders add the file and line of each
problem; :func:`supplychain.apply` uses the same path for a what-if from Python, so a
changed model is checked exactly like a file.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import threading
import weakref
from typing import Any

from pydantic import ValidationError

from supplychain.errors import ModelError, Problem, clip
from supplychain.model.checks import check_model
from supplychain.model.schema import Model, Part, Scenario

__all__ = ["build_parts_in_place", "validate_model", "validate_scenario", "salvage_scenario", "pydantic_problems", "merge", "paused_collector", "existing_prefix",
           "mark_checked", "ensure_checked"]

_LOCK = threading.Lock()
#: the models (by identity, while they live) that passed every check
_CHECKED: set[int] = set()


def mark_checked(model: Model) -> Model:
    """Record that ``model`` passed :func:`~supplychain.model.checks.check_model`."""
    with _LOCK:
        if id(model) in _CHECKED:
            return model
        _CHECKED.add(id(model))
    weakref.finalize(model, _CHECKED.discard, id(model))
    return model


def ensure_checked(model: Model) -> None:
    """Run the cross-entry checks on a model built in Python (``Model(...)``,
    ``Model.model_validate``): raise one :class:`~supplychain.errors.ModelError` with
    every problem, as a loader would. Free for a model that was checked already."""
    with _LOCK:
        if id(model) in _CHECKED:
            return
    problems = check_model(model)
    if problems:
        raise ModelError(problems)
    mark_checked(model)


def _fields_at(cls: Any, loc: tuple) -> list[str]:
    """The field names a pydantic class allows at ``loc`` (the path of an unknown field
    inside data of ``cls``), walking through mappings, sequences and unions; [] when
    the path cannot be followed."""
    import typing

    from pydantic import BaseModel

    def models(tp: Any) -> list[type]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for arg in typing.get_args(tp) for m in models(arg)]

    current = [cls]
    for key in loc[:-1]:
        nxt = []
        for c in current:
            field = c.model_fields.get(key) if isinstance(key, str) else None
            if field is not None:
                nxt += models(field.annotation)
        # a mapping key or a list index: the field's models already are its values'
        current = nxt or current
    return sorted({name for c in current for name in c.model_fields})


def pydantic_problems(exc: ValidationError, cls: Any = None) -> list[Problem]:
    """A pydantic error as one :class:`Problem` per failing field, in plain words; with
    ``cls`` (the class validated), an unknown field gets the closest known one."""
    import difflib

    out = []
    for err in exc.errors(include_url=False, include_context=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            near = difflib.get_close_matches(str(loc[-1]), _fields_at(cls, loc), n=1) if cls is not None else []
            msg = (f"unknown field {loc[-1]!r}; did you mean {near[0]!r}?" if near else
                   f"unknown field {loc[-1]!r}; check its spelling (see `supplychain schema`)")
        elif err["type"] == "missing":
            msg = f"missing required field {loc[-1]!r}"
        elif "input" in err and err["type"] not in ("model_type", "dict_type") and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {clip(repr(err['input']))})"
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        out.append(Problem(msg, loc))
    return out


def _validate(cls, data: Any, typed: bool = False) -> tuple[Any, list[Problem]]:
    """Validate ``data`` as ``cls``. ``typed`` data comes from a format with numbers of
    its own (JSON, TOML), where a number written as text is an error, not read."""
    try:
        return cls.model_validate(data, context={"typed": True} if typed else None), []
    except ValidationError as exc:
        return None, pydantic_problems(exc, cls)


def validate_scenario(data: Any, *, typed: bool = False) -> tuple[Scenario | None, list[Problem]]:
    """``(scenario, [])``, or ``(None, problems)`` when the data is no valid scenario;
    ``typed`` as for :func:`validate_model`."""
    return _validate(Scenario, data, typed)


def salvage_scenario(data: dict, problems: list[Problem], *, typed: bool = False) -> tuple[Scenario | None, Any]:
    """The scenario without the entries and fields that failed validation, so the rule
    checks can still run on the rest and one report lists both kinds.

    Returns ``(scenario, where)``: ``where(path)`` maps a problem path of the salvaged
    scenario back to the file's (an event keeps its index in the file). ``(None, ...)``
    when even the rest is no scenario.
    """
    bad = {p.path[:2] for p in problems if len(p.path) >= 2 and p.path[0] in ("embargoes", "disruptions")}
    top = {p.path[0] for p in problems if p.path and p.path[0] not in ("embargoes", "disruptions")}
    kept: dict[str, list[int]] = {}
    fixed = {k: v for k, v in data.items() if k not in top}
    for kind in ("embargoes", "disruptions"):
        listed = data.get(kind)
        if isinstance(listed, list):
            kept[kind] = [i for i in range(len(listed)) if (kind, i) not in bad]
            fixed[kind] = [listed[i] for i in kept[kind]]
        elif kind in fixed and any(p.path[:1] == (kind,) for p in problems):
            del fixed[kind]

    def where(path: tuple) -> tuple:
        if len(path) >= 2 and path[0] in kept and isinstance(path[1], int):
            return (path[0], kept[path[0]][path[1]], *path[2:])
        return path

    scenario, _ = _validate(Scenario, fixed, typed)
    return scenario, where


@contextlib.contextmanager
def paused_collector():
    """Pause the cyclic garbage collector while a large model is built.

    Validation allocates hundreds of thousands of small objects that all survive; the
    collector would walk them again and again for nothing (two thirds of the load time
    of a 100k-part model).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def build_parts_in_place(data: Any, *, typed: bool = False) -> None:
    """Replace each valid part's plain data in ``data["parts"]`` by its :class:`Part`.

    For a loader that owns ``data``: the plain data of a large file is about as big as
    the model, and built part by part it is freed as the model grows instead of being
    held beside the whole of it. A part that does not validate is left as it was, for
    :func:`validate_model` to report with its place.
    """
    parts = data.get("parts") if isinstance(data, dict) else None
    if not isinstance(parts, dict):
        return
    context = {"typed": True} if typed else None
    for key, value in parts.items():
        if isinstance(value, dict):
            try:
                parts[key] = Part.model_validate(value, context=context)
            except ValidationError:
                pass


def validate_model(data: Any, *, typed: bool = False) -> tuple[Model | None, list[Problem]]:
    """``(model, [])`` for valid data, else ``(None, problems)`` listing every problem.

    Problems carry their path inside the data; the caller adds the file. ``typed`` is
    for data from JSON or TOML, whose numbers are numbers: there ``"10"`` for a number
    is an error (YAML scalars are text by design, and read as the schema asks).
    """
    if not isinstance(data, dict):
        return None, [Problem("a model must be a mapping of fields (home, suppliers, parts, demand)")]
    with paused_collector():
        model, problems = _validate(Model, data, typed)
        if model is None:
            salvaged, cuts = _salvage(data, problems, typed)
            if salvaged is not None:
                problems = problems + [
                    p for p in check_model(salvaged) if not any(p.path[: len(c)] == c for c in cuts)
                ]
        else:
            problems = check_model(model)
    return (None, problems) if problems else (mark_checked(model), [])


def merge(base: Any, over: Any) -> Any:
    """``over`` deep-merged into ``base``: mappings merge key by key, anything else
    (a number, a list of sources) replaces what was there. Neither input is changed.

    >>> merge({"parts": {"gear": {"stock": 35, "unit_cost": 50}}}, {"parts": {"gear": {"stock": 80}}})
    {'parts': {'gear': {'stock': 80, 'unit_cost': 50}}}
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


_PLACEHOLDER = {
    "suppliers": lambda home: {"country": home if isinstance(home, str) else "ZZ"},
    "parts": lambda home: {},
    "demand": lambda home: {"rate": 0},
    "groups": lambda home: [],
}


def _cut(data: Any, path: tuple) -> Any:
    """A copy of ``data`` without the value at ``path`` (entries of sections get a placeholder)."""
    if len(path) == 2 and path[0] in _PLACEHOLDER:
        head, key = path
        section = dict(data[head])
        section[key] = _PLACEHOLDER[head](data.get("home"))
        return {**data, head: section}
    out = copy.copy(data)
    if isinstance(out, tuple):
        out = list(out)
    if len(path) == 1:
        if isinstance(out, dict):
            out.pop(path[0], None)
        elif isinstance(out, list) and isinstance(path[0], int) and path[0] < len(out):
            out[path[0]] = {}  # keep indices stable for the other paths
        return out
    out[path[0]] = _cut(out[path[0]], path[1:])
    return out


def existing_prefix(data: Any, path: tuple) -> tuple:
    """The longest prefix of ``path`` that exists in ``data`` (mappings and lists).

    >>> existing_prefix({"parts": {"gear": {"stock": 1}}}, ("parts", "gear", "sources", 0))
    ('parts', 'gear')
    """
    node, n = data, 0
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, (list, tuple)) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            break
        n += 1
    return path[:n]


def _salvage(data: dict, problems: list[Problem], typed: bool = False) -> tuple[Model | None, set[tuple]]:
    """The model with each malformed value cut out (or its entry replaced), or None.

    Cuts start at the offending value and move up one level at a time while the rest
    still fails, stopping at the entry (a part, supplier, demand or group), which gets
    a placeholder. Returns the model and the cut paths, whose rule problems are moot.
    """
    cuts: set[tuple] = set()
    errors = [p.path for p in problems]
    for _ in range(8):
        for path in errors:
            path = existing_prefix(data, path)
            covering = next((c for c in cuts if path[: len(c)] == c), None)
            if covering is not None:
                cuts.discard(covering)
                path = covering[:-1]
            if len(path) < 2 or path[0] not in _PLACEHOLDER:
                return None, cuts
            cuts.add(path)
        fixed = data
        for c in sorted(cuts, key=len):
            if not any(c[: len(o)] == o for o in cuts if o != c and len(o) < len(c)):
                fixed = _cut(fixed, c)
        model, again = _validate(Model, fixed, typed)
        if model is not None:
            return model, cuts
        errors = [p.path for p in again]
    return None, cuts
