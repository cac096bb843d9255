"""What-ifs: a changed model is a new model, validated like a file.

:func:`apply` deep-merges overrides into a model (``{"parts": {"turret": {"stock":
40}}}`` changes one field and keeps the rest) and validates the result with the same
checks and messages a file gets. The original is untouched and keeps its own compiled
network; the new model compiles its own on first use. A scenario's ``overrides`` go
through here wherever the scenario is simulated.
"""

from __future__ import annotations

import json
import threading
import warnings
import weakref
from typing import Any, Mapping

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from supplychain.errors import ModelError, ModelWarning
from supplychain.model.schema import Model, thaw
from supplychain.model.validate import merge, validate_model
from supplychain.network import capacity_shortfalls, compile_network

__all__ = ["apply", "overrides_key"]

_LOCK = threading.Lock()
#: per model (by identity, while it lives): the overrides known to hold in it already
_HOLDS: dict[int, set[str]] = {}


def overrides_key(overrides: Mapping[str, Any] | None) -> str:
    """A canonical text of ``overrides``: equal overrides, equal keys."""
    return json.dumps(to_jsonable_python(thaw(overrides or {})), sort_keys=True, separators=(",", ":"))


def _remember(model: Model, key: str) -> None:
    with _LOCK:
        first = id(model) not in _HOLDS
        _HOLDS.setdefault(id(model), set()).add(key)
    if first:
        weakref.finalize(model, _HOLDS.pop, id(model), None)


def _holds(model: Model, key: str) -> bool:
    with _LOCK:
        return key in _HOLDS.get(id(model), ())


def apply(model: Model, overrides: Mapping[str, Any] | None = None, /, **sections: Any) -> Model:
    """A new model: ``model`` with ``overrides`` deep-merged in, validated like a file.

    Mappings merge key by key; anything else (a number, a list of sources) replaces what
    was there. Sections may also be given as keywords: ``apply(model, parts={...})``.
    Raises :class:`~supplychain.errors.ModelError` listing every problem of the result
    (unknown ids with "did you mean", shares, cycles, bounds), and warns
    (:class:`~supplychain.errors.ModelWarning`) where capacity cannot meet the plan.
    Applying overrides a model already holds gives the model itself.

    >>> import supplychain as sc
    >>> m = sc.Model.model_validate({"home": "TR", "suppliers": {"x": {"country": "CA"}},
    ...     "parts": {"gear": {"stock": 35, "sources": [{"supplier": "x", "lead_time": 2}]}},
    ...     "demand": {"gear": {"rate": 10}}})
    >>> more = sc.apply(m, {"parts": {"gear": {"stock": 70}}})
    >>> more.parts["gear"].stock, m.parts["gear"].stock, more.parts["gear"].sources[0].lead_time
    (70.0, 35.0, 2)
    >>> sc.apply(m, parts={"gear": {"sources": [{"supplier": "y"}]}})
    Traceback (most recent call last):
    ...
    supplychain.errors.ModelError: 1 problem found
      parts.gear.sources[0].supplier: part 'gear' lists unknown supplier 'y'
    """
    if not isinstance(model, Model):
        raise TypeError(f"apply() takes a Model, not {type(model).__name__}")
    changes = thaw(dict(overrides or {}))
    for name, value in sections.items():
        changes[name] = merge(changes[name], thaw(value)) if name in changes else thaw(value)
    if not changes:
        return model
    key = overrides_key(changes)
    if _holds(model, key):
        return model
    data = merge(model.model_dump(), _plain(changes))
    new, problems = validate_model(data)
    if new is None:
        raise ModelError(problems)
    for p in capacity_shortfalls(compile_network(new)):
        warnings.warn(str(p), ModelWarning, stacklevel=2)
    _remember(new, key)
    return new


def _plain(value: Any) -> Any:
    """Overrides as plain data: pydantic objects given in Python are dumped."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
