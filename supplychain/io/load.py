"""Reading model and scenario files (YAML, TOML, JSON) into validated objects.

This is the only code that reads input files. A file is read whole, checked for size,
parsed safely, validated by pydantic (shape) and by :mod:`supplychain.model.checks`
(rules between entries), and either returned complete or rejected with one
:class:`~supplychain.errors.ModelError` listing every problem with its file, line
(YAML), path and fix. Nothing is half-loaded.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import tomllib
import warnings
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from supplychain.errors import ModelError, ModelWarning, Problem
from supplychain.io.safe_yaml import YamlProblem, read_yaml
from supplychain.model.checks import capacity_shortfalls, check_model, check_scenario
from supplychain.model.schema import Model, Scenario

__all__ = [
    "load_model",
    "load_scenario",
    "load_any",
    "read_data",
    "model_from_data",
    "MAX_TEXT_BYTES",
    "MAX_JSON_BYTES",
]

MAX_TEXT_BYTES = 32 * 1024 * 1024  # YAML and TOML: beyond this, write JSON
MAX_JSON_BYTES = 2 * 1024 * 1024 * 1024
MAX_DEPTH = 64

_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


def _format_of(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ModelError(
            f"unknown file type {path.suffix!r}; use .yaml, .yml, .toml or .json", file=str(path)
        )
    return fmt


def _read_bytes(path: Path, fmt: str) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelError("file not found", file=str(path)) from None
    except OSError as exc:
        raise ModelError(f"cannot read: {exc.strerror}", file=str(path)) from None
    limit = MAX_JSON_BYTES if fmt == "json" else MAX_TEXT_BYTES
    if size > limit:
        hint = "" if fmt == "json" else "; write large models as JSON"
        raise ModelError(f"file is {size:,} bytes, over the {limit:,}-byte limit for {fmt}{hint}", file=str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read: {exc.strerror}", file=str(path)) from None


def _json_depth_ok(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def read_data(path: str | Path) -> tuple[Any, dict[tuple, int]]:
    """Parse a YAML, TOML or JSON file into plain data and a path -> line map (YAML only)."""
    path = Path(path)
    fmt = _format_of(path)
    raw = _read_bytes(path, fmt)
    where = str(path)
    if fmt == "json":
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise ModelError(f"{'line %d: ' % line if line else ''}not valid JSON: {getattr(exc, 'msg', exc)}", file=where) from None
        except RecursionError:
            raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=where) from None
        if not _json_depth_ok(data, MAX_DEPTH):
            raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=where)
        return data, {}
    try:
        text = raw.decode("utf-8-sig")  # a leading BOM (Windows editors) is not text
    except UnicodeDecodeError as exc:
        raise ModelError(f"not UTF-8 text (byte {exc.start})", file=where) from None
    if fmt == "toml":
        try:
            return tomllib.loads(text), {}
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"not valid TOML: {exc}", file=where) from None
    try:
        return read_yaml(text, max_depth=MAX_DEPTH)
    except YamlProblem as exc:
        raise ModelError(f"{'line %d: ' % exc.line if exc.line else ''}{exc.message}", file=where) from None


def _line(lines: dict[tuple, int], path: tuple) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _located(problems: list[Problem], file: str | None, lines: dict[tuple, int], prefix: tuple = ()) -> list[Problem]:
    out = []
    for p in problems:
        full = (*prefix, *p.path)
        line = _line(lines, full) if lines else None
        where = f"{file}:{line}" if file and line else file
        out.append(Problem(p.message, full, where))
    return out


_PLACEHOLDER = {
    "suppliers": lambda home: {"country": home if isinstance(home, str) else "ZZ"},
    "parts": lambda home: {},
    "demand": lambda home: {"rate": 0},
    "groups": lambda home: [],
}


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False, include_context=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}; check its spelling (see `supplychain schema`)"
        elif err["type"] == "missing":
            msg = f"missing required field {loc[-1]!r}"
        elif "input" in err and err["type"] not in ("model_type", "dict_type") and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {err['input']!r})"
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        out.append(Problem(msg, loc))
    return out


def _validate(cls, data: Any) -> tuple[Any, list[Problem]]:
    try:
        return cls.model_validate(data), []
    except ValidationError as exc:
        return None, _pydantic_problems(exc)


def model_from_data(data: Any, *, file: str | None = None, lines: dict[tuple, int] | None = None,
                    prefix: tuple = ()) -> Model:
    """Validate plain data as a :class:`Model`, reporting every problem at once.

    When some entries are malformed, they are set aside and the rest is still checked,
    so one run lists shape errors and rule errors together.
    """
    lines = lines or {}
    if not isinstance(data, dict):
        raise ModelError([Problem("a model file must be a mapping of fields (home, suppliers, parts, demand)", prefix, file)])
    model, problems = _validate(Model, data)
    if model is None:
        model, cuts = _salvage(data, problems)
        if model is not None:
            problems = problems + [
                p for p in check_model(model) if not any(p.path[: len(c)] == c for c in cuts)
            ]
    else:
        problems = check_model(model)
    if problems:
        raise ModelError(_located(problems, file, lines, prefix), file=file)
    for p in capacity_shortfalls(model):
        warnings.warn(str(_located([p], file, lines, prefix)[0]), ModelWarning, stacklevel=3)
    return model


def _cut(data: Any, path: tuple) -> Any:
    """A copy of ``data`` without the value at ``path`` (entries of sections get a placeholder)."""
    if len(path) == 2 and path[0] in _PLACEHOLDER:
        head, key = path
        section = dict(data[head])
        section[key] = _PLACEHOLDER[head](data.get("home"))
        return {**data, head: section}
    out = copy.copy(data)
    if len(path) == 1:
        if isinstance(out, dict):
            out.pop(path[0], None)
        elif isinstance(out, list) and isinstance(path[0], int) and path[0] < len(out):
            out[path[0]] = {}  # keep indices stable for the other paths
        return out
    out[path[0]] = _cut(out[path[0]], path[1:])
    return out


def _existing(data: Any, path: tuple) -> tuple:
    """The longest prefix of ``path`` that exists in ``data``."""
    node, n = data, 0
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            break
        n += 1
    return path[:n]


def _salvage(data: dict, problems: list[Problem]) -> tuple[Model | None, set[tuple]]:
    """The model with each malformed value cut out (or its entry replaced), or None.

    Cuts start at the offending value and move up one level at a time while the rest
    still fails, stopping at the entry (a part, supplier, demand or group), which gets
    a placeholder. Returns the model and the cut paths, whose rule problems are moot.
    """
    cuts: set[tuple] = set()
    errors = [p.path for p in problems]
    for _ in range(8):
        for path in errors:
            path = _existing(data, path)
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
        model, again = _validate(Model, fixed)
        if model is not None:
            return model, cuts
        errors = [p.path for p in again]
    return None, cuts


@contextlib.contextmanager
def _no_gc():
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


def load_model(path: str | Path) -> Model:
    """Read, validate and return the model in a YAML, TOML or JSON file.

    Raises :class:`~supplychain.errors.ModelError` listing every problem; warns
    (:class:`~supplychain.errors.ModelWarning`) where capacity cannot meet the plan.
    A valid JSON file takes pydantic's fast path straight from bytes.
    """
    path = Path(path)
    fmt = _format_of(path)
    if fmt == "json":
        raw = _read_bytes(path, fmt)
        with _no_gc():  # the checks build indexes over every part too
            try:
                model = Model.model_validate_json(raw)
            except ValidationError:
                model = None  # re-read as data below for the full report with salvage
            if model is not None:
                problems = check_model(model)
                shortfalls = [] if problems else capacity_shortfalls(model)
        if model is not None:
            if problems:
                raise ModelError(_located(problems, str(path), {}), file=str(path))
            for p in shortfalls:
                warnings.warn(str(Problem(p.message, p.path, str(path))), ModelWarning, stacklevel=2)
            return model
    data, lines = read_data(path)
    return model_from_data(data, file=str(path), lines=lines)


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def _has_path(data: Any, path: tuple) -> bool:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return False
    return True


def load_scenario(path: str | Path) -> tuple[Model, Scenario]:
    """Read a scenario file and the model it names (relative to the scenario).

    The scenario's ``overrides`` are deep-merged into the model's data before
    validation: ``overrides: {parts: {turret: {stock: 40}}}`` changes one field.
    Returns ``(model, scenario)``; raises one ModelError listing every problem.
    """
    path = Path(path)
    data, lines = read_data(path)
    where = str(path)
    if not isinstance(data, dict):
        raise ModelError([Problem("a scenario file must be a mapping (model, horizon, embargoes, …)", (), where)], file=where)
    scenario, problems = _validate(Scenario, data)
    if scenario is None:
        raise ModelError(_located(problems, where, lines), file=where)
    if scenario.model is None:
        raise ModelError([Problem("missing required field 'model' (the model file, relative to this one)", ("model",), where)], file=where)
    model_path = (path.parent / scenario.model)
    if scenario.overrides:
        mdata, mlines = read_data(model_path)
        merged = _deep_merge(mdata, scenario.overrides)
        try:
            model = model_from_data(merged, file=str(model_path), lines=mlines)
        except ModelError as exc:
            # a problem inside the overrides is the scenario's: point at its line there
            def relocate(p: Problem) -> Problem:
                if _has_path(scenario.overrides, p.path):
                    line = _line(lines, ("overrides", *p.path))
                    return Problem(p.message + " (set by this scenario's overrides)", ("overrides", *p.path),
                                   f"{where}:{line}" if line else where)
                return p

            raise ModelError([relocate(p) for p in exc.problems], file=where) from None
    else:
        if not model_path.exists():
            raise ModelError([Problem(f"model file {str(model_path)!r} not found", ("model",), where)], file=where)
        model = load_model(model_path)
    problems = check_scenario(model, scenario)
    if problems:
        raise ModelError(_located(problems, where, lines), file=where)
    return model, scenario


def load_any(path: str | Path) -> tuple[Model, Scenario | None]:
    """A model file gives ``(model, None)``; a scenario file gives ``(model, scenario)``.

    A file is a scenario when it names a ``model`` file.
    """
    path = Path(path)
    data, _ = read_data(path)
    if isinstance(data, dict) and isinstance(data.get("model"), str):
        return load_scenario(path)
    return load_model(path), None
