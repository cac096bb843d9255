"""Writing model and scenario data to JSON or YAML files, byte for byte reproducibly.

The same data gives the same bytes: keys keep their insertion order, JSON is compact
(no spaces) or indented, UTF-8, with a final newline; non-finite numbers are refused
(JSON has none). A file is written completely or not at all, through
:mod:`supplychain.io.output`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

__all__ = ["write_data", "write_atomic", "json_bytes", "yaml_bytes", "plain_data", "write_plan_file",
           "plan_file_bytes", "data_bytes"]


def plain_data(obj: Any) -> Any:
    """``obj`` as plain JSON-ready data: a pydantic model is dumped without its defaults."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", exclude_defaults=True)
    return obj


def json_bytes(data: Any, *, indent: int | None = None) -> bytes:
    """``data`` as UTF-8 JSON: compact unless ``indent`` is given; key order kept.

    >>> json_bytes({"home": "TR", "parts": {"a": {"unit_cost": 1.5}}})
    b'{"home":"TR","parts":{"a":{"unit_cost":1.5}}}\\n'
    """
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(plain_data(data), separators=separators, indent=indent, sort_keys=False,
                      ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def yaml_bytes(data: Any) -> bytes:
    """``data`` as UTF-8 YAML in block style, key order kept.

    Strings a YAML 1.1 reader would retype (``NO``, ``on``, ``0755``) come out quoted.

    >>> print(yaml_bytes({"suppliers": {"fjord": {"country": "NO"}}}).decode(), end="")
    suppliers:
      fjord:
        country: 'NO'
    """
    text = yaml.safe_dump(plain_data(data), sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=100)
    return text.encode("utf-8")


_WRITERS = {".json": json_bytes, ".yaml": yaml_bytes, ".yml": yaml_bytes}


def write_data(data: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write model or scenario data (a dict or a pydantic model) to a .json or .yaml file.

    The format follows the suffix; JSON is compact. Refuses to replace an existing file
    unless ``overwrite`` (``FileExistsError``); an unknown suffix is a ``ValueError``.
    Returns the path written.
    """
    path = Path(path)
    payload = data_bytes(data, path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; refusing to overwrite it")
    return write_atomic(path, payload)


def data_bytes(data: Any, path: str | Path) -> bytes:
    """``data`` encoded for ``path``'s suffix (.json compact, .yaml, .yml); an unknown
    suffix is a ``ValueError``."""
    path = Path(path)
    encode = _WRITERS.get(path.suffix.lower())
    if encode is None:
        raise ValueError(f"cannot write {path}: unknown file type {path.suffix!r}; use .json, .yaml or .yml")
    return encode(data)


def write_atomic(path: str | Path, payload: bytes) -> Path:
    """Write ``payload`` to ``path`` completely or not at all (see
    :mod:`supplychain.io.output`: never onto a device, FIFO or folder)."""
    from supplychain.io.output import write_file

    return write_file(path, payload)


def write_plan_file(path: str | Path, result: Any, *, scenarios: list, model_file: str | Path | None) -> None:
    """Write a mitigation plan as a scenario file that ``supplychain simulate`` runs
    (see :func:`plan_file_bytes`); an existing file is replaced only once the new one
    is complete."""
    write_atomic(path, plan_file_bytes(path, result, scenarios=scenarios, model_file=model_file))


def plan_file_bytes(path: str | Path, result: Any, *, scenarios: list, model_file: str | Path | None) -> bytes:
    """A mitigation plan as a scenario file to be written at ``path``: the model file
    (relative to ``path``), the plan as ``overrides`` (on top of the scenario's own)
    and, for one scenario, its events; for several, a comment names them and the file
    runs the plan without events."""
    from supplychain.model.schema import thaw
    from supplychain.model.validate import merge

    path = Path(path)
    first = scenarios[0]
    data: dict[str, Any] = {"name": f"mitigation plan ({result.target or 'budget'}): "
                                    f"cost {result.total_cost:,.0f}"}
    if model_file is not None:
        data["model"] = os.path.relpath(Path(model_file), path.parent if str(path.parent) else ".")
    data["horizon"] = first.horizon
    overrides = merge(thaw(first.overrides), thaw(result.overrides)) if first.overrides else thaw(result.overrides)
    if overrides:
        data["overrides"] = overrides
    if len(scenarios) == 1:
        for key in ("start_date", "as_of"):
            if getattr(first, key) is not None:
                data[key] = getattr(first, key).isoformat()
        for key in ("embargoes", "disruptions"):
            events = [e.model_dump(mode="json", exclude_defaults=True) for e in getattr(first, key)]
            if events:
                data[key] = events
    head = "# Written by supplychain mitigate: the plan as overrides of the model.\n"
    if len(scenarios) > 1:
        head += "# Plan for the scenarios: " + ", ".join(s.name or "?" for s in scenarios) + "\n"
        head += "# (no event here: copy the overrides into a scenario to run it)\n"
    return head.encode() + yaml_bytes(data)
