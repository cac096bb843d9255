"""Country codes (ISO 3166-1 alpha-2) and country groups with dated membership.

Codes come from the maintained ``iso3166`` package, which also carries ``XK``
(Kosovo, a user-assigned code in common use). Built-in groups (``NATO``, ``EU``,
``G7``, ``FIVE_EYES``, ``WASSENAAR``) record when each member joined and, where it
did, left, with the public sources of those dates, so a scenario dated 2019 expands
``EU`` with the United Kingdom and one dated 2021 without it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Iterable, Mapping

import iso3166

__all__ = [
    "is_country",
    "country_name",
    "suggest_country",
    "BuiltinGroup",
    "builtin_groups",
    "GROUPS_VALID_AS_OF",
]


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code in upper case (``XK`` included)."""
    return isinstance(code, str) and code.isupper() and code in iso3166.countries_by_alpha2


def country_name(code: str) -> str:
    """The short English name of a code, or the code itself when unknown."""
    c = iso3166.countries_by_alpha2.get(code)
    return c.apolitical_name if c else code


def suggest_country(text: str) -> str | None:
    """The code a typo most likely meant: case, a country's name, or a near code."""
    if not isinstance(text, str):
        return None
    up = text.strip().upper()
    if up in iso3166.countries_by_alpha2:
        return up
    by_name = {c.apolitical_name.upper(): c.alpha2 for c in iso3166.countries}
    by_name.update({c.name.upper(): c.alpha2 for c in iso3166.countries})
    if up in by_name:
        return by_name[up]
    if up in iso3166.countries_by_alpha3:
        return iso3166.countries_by_alpha3[up].alpha2
    if up == "UK":  # the most common slip: the UK's ISO code is GB
        return "GB"
    near = difflib.get_close_matches(up, list(by_name), n=1, cutoff=0.8)
    return by_name[near[0]] if near else None


@dataclass(frozen=True)
class BuiltinGroup:
    """A shipped country group: each member's (joined, left) dates, left exclusive."""

    name: str
    title: str
    members: Mapping[str, tuple[date, date | None]]
    sources: tuple[str, ...] = ()  # where the membership and its dates come from

    def members_on(self, when: date | None = None) -> frozenset[str]:
        """Members on a date; ``None`` means the data's current membership."""
        if when is None:
            return frozenset(c for c, (_, left) in self.members.items() if left is None)
        return frozenset(
            c
            for c, (joined, left) in self.members.items()
            if joined <= when and (left is None or when < left)
        )


def _parse(d: str | None) -> date | None:
    return date.fromisoformat(d) if d else None


@cache
def _load() -> tuple[str, dict[str, BuiltinGroup]]:
    raw = json.loads(resources.files(__package__).joinpath("data/groups.json").read_text("utf-8"))
    groups = {
        key: BuiltinGroup(
            name=key,
            title=g["name"],
            members={c: (_parse(j), _parse(l)) for c, (j, l) in g["members"].items()},
            sources=tuple(g.get("sources", ())),
        )
        for key, g in raw["groups"].items()
    }
    return raw["valid_as_of"], groups


def builtin_groups() -> dict[str, BuiltinGroup]:
    """The shipped groups by name (``NATO``, ``EU``, ``G7``, ``FIVE_EYES``,
    ``WASSENAAR``), each with its sources; ``supplychain groups`` lists them."""
    return dict(_load()[1])


GROUPS_VALID_AS_OF: str = _load()[0]


#: beyond this many candidates a hint looks only at a shortlist (see close_matches)
_SHORTLIST = 256
#: ... of this many neighbours each side, in spelling order and in reversed spelling
_NEIGHBOURS = 64
_INDEX: dict[int, tuple[object, list[str], list[str], dict[str, str]]] = {}


def _index(candidates) -> tuple[list[str], list[str], dict[str, str]]:
    """The candidates sorted, sorted by their reversed spelling, and by lower case; kept
    for the last few candidate collections (a model's parts), so that many hints
    against one model index it once."""
    key = id(candidates)
    hit = _INDEX.get(key)
    if hit is not None and hit[0] is candidates:
        return hit[1], hit[2], hit[3]
    cands = [str(c) for c in candidates]
    built = (sorted(cands), sorted(c[::-1] for c in cands), {c.lower(): c for c in reversed(cands)})
    if len(_INDEX) >= 4:
        _INDEX.pop(next(iter(_INDEX)))
    _INDEX[key] = (candidates, *built)
    return built


def close_matches(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, for 'did you mean' hints.

    Among many candidates (a 100k-part model) only a shortlist is compared: the
    neighbours of ``word`` in spelling order and in reversed spelling order (a typo
    keeps either the start or the end), so 5,000 unknown references cost seconds,
    not minutes.

    >>> close_matches("wescm", ["wescam", "rotax", "baykar"])
    'wescam'
    """
    import bisect

    if not isinstance(candidates, (list, tuple, dict, set, frozenset)) and not hasattr(candidates, "keys"):
        candidates = list(candidates)
    if len(candidates) <= _SHORTLIST:
        cands = [str(c) for c in candidates]
        low = {c.lower(): c for c in reversed(cands)}
    else:
        fwd, rev, low = _index(candidates)
        i, j = bisect.bisect_left(fwd, word), bisect.bisect_left(rev, word[::-1])
        cands = (fwd[max(i - _NEIGHBOURS, 0):i + _NEIGHBOURS]
                 + [c[::-1] for c in rev[max(j - _NEIGHBOURS, 0):j + _NEIGHBOURS]])
    hit = difflib.get_close_matches(word, cands, n=1, cutoff=0.6)
    if hit:
        return hit[0]
    return low.get(word.lower())
