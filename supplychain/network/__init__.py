"""The network layer: a validated model compiled once into arrays, with one home per rule.

:func:`compile_network` gives the :class:`Network` of a model -- index maps, sources and
their shares, the steady-state requirement, levels, pipelines, owners -- that the
engine, the LPs, exposure and concentration all read. A model cannot change (its
mappings are read-only and its fields frozen), so its network is compiled once and kept
for as long as the model lives, keyed by the model object itself: an edited model is a
new object (:func:`supplychain.apply`) and gets a network of its own.
"""

from __future__ import annotations

import threading
import weakref

from supplychain.model.schema import Model
from supplychain.model.validate import ensure_checked
from supplychain.network.compile import NEVER, Network, compile_arrays
from supplychain.network.levels import Level, SourceOrder
from supplychain.network.rules import (
    capacity_shortfalls,
    maker_fraction,
    origin_share,
    source_shares,
    steady_state_requirement,
)

__all__ = [
    "Network", "Level", "SourceOrder", "NEVER", "compile_network", "capacity_shortfalls", "maker_fraction",
    "origin_share", "source_shares", "steady_state_requirement",
]

_LOCK = threading.Lock()
_NETWORKS: dict[int, Network] = {}


def compile_network(model: Model) -> Network:
    """The compiled :class:`Network` of ``model``, built on first use.

    A model that was not loaded or derived with :func:`supplychain.apply` is checked
    first, as a file is (:class:`~supplychain.errors.ModelError` lists every problem).
    The network lives as long as the model does: asking again costs nothing.

    >>> import supplychain as sc
    >>> m = sc.Model.model_validate({"home": "TR", "suppliers": {"s": {"country": "TR"}},
    ...     "parts": {"a": {"bom": {"b": 2}, "sources": [{"supplier": "s"}]},
    ...               "b": {"sources": [{"supplier": "s"}]}}, "demand": {"a": {"rate": 10}}})
    >>> net = compile_network(m)
    >>> net.part_ids, net.requirement.tolist(), compile_network(m) is net
    (('b', 'a'), [20.0, 10.0], True)
    """
    key = id(model)
    with _LOCK:
        net = _NETWORKS.get(key)
    if net is not None and net.compiled_from(model):
        return net
    ensure_checked(model)  # a model built in Python gets a file's checks first
    net = compile_arrays(model)
    with _LOCK:
        if key not in _NETWORKS or not _NETWORKS[key].compiled_from(model):
            _NETWORKS[key] = net
            # dropped with the model: an id is only reused once its object is gone
            weakref.finalize(model, _forget, key, weakref.ref(net))
        return _NETWORKS[key]


def _forget(key: int, ref: weakref.ref) -> None:
    with _LOCK:
        if _NETWORKS.get(key) is ref():
            del _NETWORKS[key]
