"""Reading model and scenario files (YAML, TOML, JSON) into validated objects.

This is the only code that reads input files. A file is read whole, checked for size,
parsed safely, validated by pydantic (shape) and by :mod:`supplychain.model.checks`
(rules between entries), and either returned complete or rejected with one
:class:`~supplychain.errors.ModelError` listing every problem with its file, line
(YAML), path and fix. Nothing is half-loaded.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
import warnings
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from supplychain.errors import ModelError, ModelWarning, OutOfMemory, Problem, clip
from supplychain.io.safe_yaml import YamlProblem, read_yaml
from supplychain.model.checks import check_scenario
from supplychain.model.schema import Model, Scenario
from supplychain.model.validate import (build_parts_in_place, existing_prefix, paused_collector, salvage_scenario,
                                        validate_model, validate_scenario)
from supplychain.network import capacity_shortfalls, compile_network
from supplychain.network.whatif import apply

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
    """The file's bytes, read once from a regular file (not a device, FIFO or folder,
    even behind a symlink) with the size limit enforced while reading: a reported
    size is not trusted."""
    limit = MAX_JSON_BYTES if fmt == "json" else MAX_TEXT_BYTES
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ModelError("file not found", file=str(path)) from None
    except OSError as exc:
        raise ModelError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, FIFO or socket"
            raise ModelError(f"is {what}, not a file; name a {fmt.upper()} file", file=str(path))
        hint = "" if fmt == "json" else "; write large models as JSON"
        if st.st_size > limit:
            raise ModelError(f"file is {st.st_size:,} bytes, over the {limit:,}-byte limit for {fmt}{hint}",
                             file=str(path))
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 24, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise ModelError(f"file is over the {limit:,}-byte limit for {fmt}{hint}", file=str(path))
        return b"".join(chunks)
    except OSError as exc:
        raise ModelError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    finally:
        os.close(fd)


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


class _Twice(Exception):
    """A JSON object names one key twice (json keeps the last silently)."""


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Twice
    return out


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+|\s+')


def _key_twice(text: str) -> tuple[str, int, int]:
    """``(key, line, first line)`` of the first key that appears twice in one object
    of a JSON text that parses: found again token by token, as the fast parse that
    noticed it keeps no lines."""
    line = 1
    frames: list[dict[str, int] | None] = []  # the keys of each open object; None: a list
    expect_key = False
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        c = tok[0]
        if c.isspace():
            line += tok.count("\n")
        elif c == "{":
            frames.append({})
            expect_key = True
        elif c == "[":
            frames.append(None)
        elif c in "}]":
            frames.pop()
        elif c == ",":
            expect_key = bool(frames) and frames[-1] is not None
        elif c == '"' and expect_key:
            key = json.loads(tok)
            seen = frames[-1]
            if key in seen:
                return key, line, seen[key]
            seen[key] = line
            expect_key = False
    raise AssertionError("no key appears twice")  # pragma: no cover - the parse said one did


def _parse_json(raw: bytes, where: str) -> Any:
    """JSON to plain data, a key written twice in one object refused (as in YAML and
    TOML); the nesting depth is the caller's to check."""
    try:
        return json.loads(raw, object_pairs_hook=_once)
    except _Twice:
        key, line, first = _key_twice(raw.decode("utf-8-sig"))
        raise ModelError(f"line {line}: key {clip(key)!r} appears twice (first on line {first})",
                         file=where) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ModelError(f"{'line %d: ' % line if line else ''}not valid JSON: {getattr(exc, 'msg', exc)}", file=where) from None
    except RecursionError:
        raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=where) from None


def read_data(path: str | Path) -> tuple[Any, dict[tuple, int]]:
    """Parse a YAML, TOML or JSON file into plain data and a path -> line map (YAML only)."""
    path = Path(path)
    fmt = _format_of(path)
    raw = _read_bytes(path, fmt)
    where = str(path)
    if fmt == "json":
        data = _parse_json(raw, where)
        if not _json_depth_ok(data, MAX_DEPTH):
            raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=where)
        return data, {}
    try:
        text = raw.decode("utf-8-sig")  # a leading BOM (Windows editors) is not text
    except UnicodeDecodeError as exc:
        raise ModelError(f"not UTF-8 text (byte {exc.start})", file=where) from None
    if fmt == "toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"not valid TOML: {exc}", file=where) from None
        except RecursionError:
            raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=where) from None
        if not _json_depth_ok(data, MAX_DEPTH):
            raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=where)
        return data, {}
    try:
        return read_yaml(text, max_depth=MAX_DEPTH, lines=False)
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


def _warn_capacity(model: Model, file: str | None, lines: dict[tuple, int], prefix: tuple = ()) -> None:
    """Warn where capacity cannot carry the plan (the flat baseline needs it)."""
    for p in _located(capacity_shortfalls(compile_network(model)), file, lines, prefix):
        warnings.warn(str(p), ModelWarning, stacklevel=4)


def _checked(data: Any, file: str | None, lines: dict[tuple, int] | None, prefix: tuple,
             typed: bool, own: bool = False) -> Model:
    """The model in ``data``, or one ModelError with every problem. Data the loader
    owns (``own``) is built part by part in place, so it is freed as the model grows."""
    lines = {} if lines is None else lines
    if not isinstance(data, dict):
        raise ModelError([Problem("a model file must be a mapping of fields (home, suppliers, parts, demand)", prefix, file)])
    if own:
        build_parts_in_place(data, typed=typed)
    model, problems = validate_model(data, typed=typed)
    if model is None:
        raise ModelError(_located(problems, file, lines, prefix), file=file)
    return model


def model_from_data(data: Any, *, file: str | None = None, lines: dict[tuple, int] | None = None,
                    prefix: tuple = (), typed: bool = False) -> Model:
    """Validate plain data as a :class:`Model`, reporting every problem at once.

    When some entries are malformed, they are set aside and the rest is still checked,
    so one run lists shape errors and rule errors together
    (:func:`supplychain.model.validate.validate_model`); each problem names ``file``
    and, for YAML, its line. ``typed`` data (from JSON or TOML) must write its numbers
    as numbers, not text.
    """
    model = _checked(data, file, lines, prefix, typed)
    _warn_capacity(model, file, lines or {}, prefix)
    return model


#: peak memory of loading a model, in bytes per byte of its JSON file (measured by
#: benchmarks/memory.py on generated networks of 100k and 1M parts)
MEMORY_PER_JSON_BYTE = 20


def load_model(path: str | Path) -> Model:
    """Read, validate and return the model in a YAML, TOML or JSON file.

    Raises :class:`~supplychain.errors.ModelError` listing every problem; warns
    (:class:`~supplychain.errors.ModelWarning`) where capacity cannot meet the plan.
    Memory running out is an :class:`~supplychain.errors.OutOfMemory` error naming the
    file and its size.
    """
    path = Path(path)
    try:
        with paused_collector():  # a large file makes many small objects that all survive
            return _model_of(path, _Parsed(path))
    except MemoryError:
        pass  # the half-built data is freed with the exception, before the message is made
    raise _out_of_memory(path)


def _out_of_memory(path: Path) -> OutOfMemory:
    size = os.stat(path).st_size
    return OutOfMemory(f"{path}: out of memory loading a {size / 1e6:,.0f} MB model file (it takes about "
                       f"{MEMORY_PER_JSON_BYTE}x its JSON size in memory); free memory or use a larger machine")


class _Parsed:
    """A file's plain data, lines and format, held so that the loader can let go of the
    data (as big as the model again) once the model is built."""

    __slots__ = ("data", "fmt", "lines")

    def __init__(self, path: Path) -> None:
        self.fmt = _format_of(path)
        if self.fmt == "json":
            # a valid model's nesting is bounded by its schema: the depth of a large
            # JSON file is walked only when it is no valid model (or a scenario)
            self.data, self.lines = _parse_json(_read_bytes(path, "json"), str(path)), {}
        else:
            self.data, self.lines = read_data(path)

    def depth_checked(self, path: Path) -> Any:
        if self.fmt == "json" and not _json_depth_ok(self.data, MAX_DEPTH):
            raise ModelError(f"nesting deeper than {MAX_DEPTH} levels", file=str(path))
        return self.data


def _model_of(path: Path, parsed: _Parsed) -> Model:
    data, parsed.data = parsed.data, None
    try:
        model = _checked(data, str(path), parsed.lines, (), parsed.fmt != "yaml", own=True)
    except ModelError:
        parsed.data = data
        parsed.depth_checked(path)
        raise
    del data  # gone before the network for the capacity checks is built
    _warn_capacity(model, str(path), parsed.lines, ())
    return model


def _model_path(path: Path, name: str, where: str, root: str | Path | None) -> Path:
    """The model a scenario names: relative to the scenario, a model file type, inside
    ``root`` (or the root set by ``supplychain --root``) when one is given."""
    from supplychain.errors import clip

    model_path = path.parent / name
    if model_path.suffix.lower() not in _FORMATS:
        raise ModelError([Problem(f"model {clip(name)!r} is not a model file; name a .yaml, .yml, .toml or "
                                  ".json file", ("model",), where)], file=where)
    if not _inside(model_path, root):
        shown = root if root is not None else MODEL_ROOT.get()
        raise ModelError([Problem(f"model {clip(name)!r} is outside the allowed folder {str(shown)!r}; "
                                  "move the model there or run without --root", ("model",), where)],
                         file=where)
    if not model_path.exists():
        raise ModelError([Problem(f"model file {clip(str(model_path))!r} not found", ("model",), where)],
                         file=where)
    return model_path


MODEL_ROOT: ContextVar[Path | None] = ContextVar("MODEL_ROOT", default=None)
"""The folder every scenario's model must lie in, when set (``supplychain --root DIR``)."""


def load_scenario(path: str | Path, *, root: str | Path | None = None) -> tuple[Model, Scenario]:
    """Read a scenario file and the model it names (relative to the scenario).

    The scenario's ``overrides`` are applied to the model with :func:`supplychain.apply`
    (deep-merged, then validated like a file): ``overrides: {parts: {turret: {stock:
    40}}}`` changes one field. Returns ``(model, scenario)``, the model as the scenario
    changes it; raises one ModelError listing every problem, those the overrides set
    located at their line in the scenario file. With ``root`` (for a service running
    scenarios it did not write), a model outside that folder is refused.
    """
    path = Path(path)
    data, lines = read_data(path)
    where = str(path)
    if not isinstance(data, dict):
        raise ModelError([Problem("a scenario file must be a mapping (model, horizon, embargoes, …)", (), where)], file=where)
    typed = _format_of(path) != "yaml"
    scenario, problems = validate_scenario(data, typed=typed)
    if scenario is None:
        # the rule problems of the entries that did validate belong in the same report
        rest, back = salvage_scenario(data, problems, typed=typed)
        if (rest is not None and rest.model is not None and Path(rest.model).suffix.lower() in _FORMATS
                and (path.parent / rest.model).exists() and _inside(path.parent / rest.model, root)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ModelWarning)
                    model = load_model(path.parent / rest.model)
                    model = apply(model, rest.overrides) if rest.overrides else model
            except ModelError:
                model = None  # the model's own problems come once the scenario is fixed
            if model is not None:
                problems = problems + [Problem(p.message, back(p.path)) for p in check_scenario(model, rest)]
        located = _located(problems, where, lines)
        # in the file's order, line by line (a problem without a line last)
        order = [_line(lines, p.path) if lines else None for p in located]
        located = [p for _, p in sorted(zip(order, located), key=lambda x: (x[0] is None, x[0] or 0))]
        raise ModelError(located, file=where)
    if scenario.model is None:
        raise ModelError([Problem("missing required field 'model' (the model file, relative to this one)", ("model",), where)], file=where)
    model_path = _model_path(path, scenario.model, where, root)
    if not scenario.overrides:
        model = load_model(model_path)
    else:
        # the model as the scenario changes it is what is checked and warned about
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            base = load_model(model_path)
        model_lines: list = []  # the model file's lines, read only when a problem needs them

        def relocate(p: Problem) -> Problem:
            # a problem inside the overrides is the scenario's: point at its line there;
            # one the overrides cause elsewhere points at the model file's line
            if existing_prefix(scenario.overrides, p.path) == p.path:
                line = _line(lines, ("overrides", *p.path))
                return Problem(p.message + " (set by this scenario's overrides)", ("overrides", *p.path),
                               f"{where}:{line}" if line else where)
            if not model_lines:
                model_lines.append({} if model_path.suffix.lower() == ".json" else read_data(model_path)[1])
            line = _line(model_lines[0], p.path) if model_lines[0] else None
            return Problem(p.message, p.path, f"{model_path}:{line}" if line else str(model_path))

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ModelWarning)
                model = apply(base, scenario.overrides)
        except ModelError as exc:
            raise ModelError([relocate(p) for p in exc.problems], file=where) from None
        for p in capacity_shortfalls(compile_network(model)):
            warnings.warn(str(relocate(p)), ModelWarning, stacklevel=2)
    problems = check_scenario(model, scenario)
    if problems:
        raise ModelError(_located(problems, where, lines), file=where)
    return model, scenario


def _inside(model_path: Path, root: str | Path | None) -> bool:
    """Whether ``model_path`` lies in ``root`` (default the root set by ``--root``;
    none: anywhere), symlinks followed."""
    root = root if root is not None else MODEL_ROOT.get()
    return root is None or Path(os.path.realpath(model_path)).is_relative_to(Path(os.path.realpath(root)))


def load_any(path: str | Path, *, root: str | Path | None = None) -> tuple[Model, Scenario | None]:
    """A model file gives ``(model, None)``; a scenario file gives ``(model, scenario)``.

    A file is a scenario when it names a ``model`` file. The file is parsed once.
    """
    path = Path(path)
    try:
        with paused_collector():
            parsed = _Parsed(path)
            if isinstance(parsed.data, dict) and isinstance(parsed.data.get("model"), str):
                parsed.depth_checked(path)
                del parsed  # a scenario is small: read again by its own loader
                return load_scenario(path, root=root)
            return _model_of(path, parsed), None
    except MemoryError:
        pass  # as in load_model
    raise _out_of_memory(path)


def load_mitigation(path: str | Path, model: Model):
    """Read a mitigation file (candidate actions, see
    :class:`~supplychain.model.schema.Mitigation`) and check it against ``model``;
    every problem is reported at once with the file and line. A file with a top-level
    ``mitigation:`` key (a model file's section) is read from there."""
    from pydantic import ValidationError

    from supplychain.model.checks import check_mitigation
    from supplychain.model.schema import Mitigation
    from supplychain.model.validate import pydantic_problems

    path = Path(path)
    data, lines = read_data(path)
    prefix: tuple = ()
    if isinstance(data, dict) and isinstance(data.get("mitigation"), dict):
        data, prefix = data["mitigation"], ("mitigation",)
    if not isinstance(data, dict):
        raise ModelError([Problem("a mitigation file must be a mapping (stock, qualify, capacity, new_sources)",
                                  (), str(path))], file=str(path))
    try:
        mit = Mitigation.model_validate(data)
    except ValidationError as exc:
        raise ModelError(_located(pydantic_problems(exc, Mitigation), str(path), lines, prefix), file=str(path)) from None
    problems = [Problem(p.message, p.path[1:] if p.path[:1] == ("mitigation",) else p.path)
                for p in check_mitigation(model, mit, ("mitigation",))]
    if problems:
        raise ModelError(_located(problems, str(path), lines, prefix), file=str(path))
    return mit
