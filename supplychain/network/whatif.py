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
from collections import OrderedDict
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
#: per model (by identity, while it lives): the overrides already applied in the making
#: of it -- to it, or to a model it was derived from
_APPLIED: dict[int, frozenset[str]] = {}
#: the last few derivations: (id of the model, overrides) -> (the model, weakly; the result)
_RECENT: "OrderedDict[tuple[int, str], tuple[weakref.ref, Model]]" = OrderedDict()
_RECENT_SIZE = 4


def overrides_key(overrides: Mapping[str, Any] | None) -> str:
    """A canonical text of ``overrides``: equal overrides, equal keys."""
    return json.dumps(to_jsonable_python(thaw(overrides or {})), sort_keys=True, separators=(",", ":"))


def _remember(new: Model, base: Model, key: str) -> None:
    with _LOCK:
        _APPLIED[id(new)] = _APPLIED.get(id(base), frozenset()) | {key}
        _RECENT[(id(base), key)] = (weakref.ref(base), new)
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    weakref.finalize(new, _APPLIED.pop, id(new), None)


def _applied(model: Model, key: str) -> bool:
    with _LOCK:
        return key in _APPLIED.get(id(model), ())


def _recent(model: Model, key: str) -> Model | None:
    with _LOCK:
        hit = _RECENT.get((id(model), key))
        if hit is not None and hit[0]() is model:
            _RECENT.move_to_end((id(model), key))
            return hit[1]
    return None


def apply(model: Model, overrides: Mapping[str, Any] | None = None, /, **sections: Any) -> Model:
    """A new model: ``model`` with ``overrides`` deep-merged in, validated like a file.

    Mappings merge key by key; anything else (a number, a list of sources) replaces what
    was there. Sections may also be given as keywords: ``apply(model, parts={...})``.
    Raises :class:`~supplychain.errors.ModelError` listing every problem of the result
    (unknown ids with "did you mean", shares, cycles, bounds), and warns
    (:class:`~supplychain.errors.ModelWarning`) where capacity cannot meet the plan.
    Overrides already applied in the making of ``model`` (to it, or to a model it was
    derived from) are not applied again, so a what-if on a scenario's model keeps its
    own values when that scenario runs; the last few derivations are remembered, so
    simulating one scenario again does not validate its model again.

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
    if _applied(model, key):
        # already applied in the making of this model: what was changed since wins (a
        # what-if on a scenario's model keeps its own values when the scenario runs)
        return model
    if (recent := _recent(model, key)) is not None:
        return recent
    data = merge(model.model_dump(), _plain(changes))
    new, problems = validate_model(data)
    if new is None:
        raise ModelError(problems)
    for p in capacity_shortfalls(compile_network(new)):
        warnings.warn(str(p), ModelWarning, stacklevel=2)
    _remember(new, model, key)
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
