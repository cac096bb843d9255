"""The model and scenario file formats: pydantic v2, frozen, ``extra="forbid"``.

These classes check the *shape* of a file (types, ranges, unknown fields). Rules that
relate entries to each other (ids that must exist, shares that sum to 1, a BOM without
cycles, known country codes) live in :mod:`supplychain.model.checks`, which reports every
problem at once. Loading a file runs both; see :func:`supplychain.load_model`.

Every time figure is in the model's ``period`` (day, week or month); quantities are in
units of the part; ``capacity`` and ``rate`` are units per period.

Every object is immutable for real: fields are frozen, sequences are tuples and mappings
are read-only (``frozendict``), so a model -- and the network compiled from it -- can
never go stale. A what-if is a new model: :func:`supplychain.apply` derives one and
validates it like a file; ``model_copy(update=...)`` revalidates a scenario or an event
and is refused on a model (it would replace whole sections unchecked).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal

from frozendict import frozendict
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WrapSerializer,
                      model_validator)

__all__ = [
    "DEFAULT_HORIZON",
    "Period",
    "Reach",
    "ContentRule",
    "InTransit",
    "Supplier",
    "Alternate",
    "BomLine",
    "Source",
    "Part",
    "Demand",
    "StockOption",
    "QualifyOption",
    "CapacityOption",
    "NewSourceOption",
    "Mitigation",
    "Model",
    "ItemFilter",
    "Embargo",
    "Disruption",
    "Scenario",
    "Distribution",
    "Follower",
    "Uncertain",
    "UncertainModel",
]


#: periods simulated when neither a scenario nor the caller gives a horizon (two years of weeks)
DEFAULT_HORIZON = 104


def _freeze(value: Any) -> Any:
    """Plain data made read-only: mappings become frozendicts, lists tuples, all the way down."""
    if isinstance(value, dict):
        return frozendict({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Read-only data back as plain dicts and lists (what JSON and YAML writers take)."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


# a mapping field: validated as a dict, kept read-only, written out as a plain dict
_READ_ONLY = (AfterValidator(lambda d: frozendict(d)), WrapSerializer(lambda d, handler: handler(dict(d))))


#: one set of "fields given" per combination of field names, shared by every object
#: that was given those fields (keyed by the names)
_FIELDS_GIVEN: dict[frozenset[str], set[str]] = {}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="after")
    def _share_fields_set(self) -> Any:
        # pydantic keeps a set of the fields given on every object: 200-700 bytes each,
        # 40 % of a large model's memory. The objects are frozen, so nothing changes the
        # set, and objects given the same fields can share one (pydantic's serializer
        # needs a set, not a frozenset). A copy gets a set of its own.
        given = self.__pydantic_fields_set__
        shared = _FIELDS_GIVEN.setdefault(frozenset(given), given)
        if shared is not given:
            object.__setattr__(self, "__pydantic_fields_set__", shared)
        return self

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False):
        """A copy; with ``update``, a new object validated like a file (fields replaced whole)."""
        if not update:
            return super().model_copy(deep=deep)
        return type(self).model_validate({**dict(self), **update})


Id = Annotated[str, Field(min_length=1, max_length=200)]
Country = Annotated[str, Field(min_length=1, max_length=64, description="ISO 3166-1 alpha-2 code")]
#: the largest number of periods any time field or horizon may hold (about 190 years
#: of weeks): beyond it a run's arrays would not fit in memory
MAX_PERIODS = 10_000
#: the largest quantity, rate, cost or value: far beyond any programme, and small
#: enough that sums over a horizon stay finite and exact to the unit
MAX_AMOUNT = 1e15


def _not_bool(value: Any, info: ValidationInfo) -> Any:
    """``true`` is not the number 1, and in a typed file (JSON, TOML) ``"10"`` is not
    the number 10. YAML numbers arrive as text by design and are read here."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    if isinstance(value, str) and info.context and info.context.get("typed"):
        raise ValueError("a number, not text: write it without quotes")
    return value


NoBool = BeforeValidator(_not_bool)
# finite and bounded, so no sum over a horizon overflows
NonNeg = Annotated[float, NoBool, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Periods = Annotated[int, NoBool, Field(ge=0, le=MAX_PERIODS, description="whole periods")]
Qty = Annotated[float, NoBool, Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)]


class Period(str, Enum):
    """The time unit every time figure is counted in."""

    day = "day"
    week = "week"
    month = "month"


class Reach(str, Enum):
    """How an embargo reaches a source: by its facility, its owner, or the content."""

    located = "located"
    owned = "owned"
    content = "content"


class ContentRule(str, Enum):
    """``exceeds``: share > threshold (EAR de minimis); ``at_least``: share >= threshold."""

    exceeds = "exceeds"
    at_least = "at_least"


class InTransit(str, Enum):
    """What happens to goods shipped before the embargo that have not yet arrived."""

    delivered = "delivered"
    blocked = "blocked"


class Supplier(_Frozen):
    """A facility that makes or sells parts. In-house making is a supplier in ``home``."""

    name: str | None = None
    country: Country = Field(description="country of the facility (ISO 3166-1 alpha-2)")
    owner: Country | None = Field(
        None, description="country of the parent company; without one, the supplier is owned in its facility country")
    recovery_time: Periods | None = Field(
        None, description="periods to restore this supplier's output after a disruption (stress test)"
    )


class Alternate(_Frozen):
    """An interchangeable child part on a BOM line, used at the line's quantity."""

    part: Id
    qualification_time: Periods = Field(
        0, description="periods from the trigger until the alternate may be used; 0 = usable at once"
    )


class BomLine(_Frozen):
    """``qty`` units of the child per unit of the parent, with optional alternates."""

    qty: Qty
    alternates: tuple[Alternate, ...] = ()


class Source(_Frozen):
    """One way to obtain a part: a supplier, its share, capacity and lead time."""

    supplier: Id
    share: Annotated[float, NoBool] | None = Field(
        None, ge=0, le=1, description="share of normal supply; equal split when none is given"
    )
    capacity: NonNeg | None = Field(None, description="units per period this source can ship at most")
    lead_time: Periods = Field(0, description="periods from shipment to arrival in our stock")
    stock: NonNeg = Field(0, description="units held at the supplier: blocked with the supplier")
    qualified: bool | None = Field(
        None, description="false for a source not yet qualified (default true unless qualification_time is set)"
    )
    qualification_time: Periods | None = Field(
        None, description="periods from the trigger until this not-yet-qualified source may take orders"
    )

    @property
    def is_qualified(self) -> bool:
        """Usable from the start (no qualification pending)."""
        if self.qualified is not None:
            return self.qualified
        return self.qualification_time is None


class Part(_Frozen):
    """A part, assembly or end item: what it costs, holds, needs and where it comes from."""

    name: str | None = None
    unit_cost: NonNeg = 0.0
    tags: tuple[str, ...] = ()
    control: tuple[str, ...] = Field((), description="export-control classes: ITAR, EAR:6A003, military, dual-use …")
    stock: NonNeg = Field(0, description="units already on our side of every border")
    capacity: NonNeg | None = Field(None, description="units per period at most; default unlimited")
    build_time: Periods = 0
    bom: Annotated[dict[Id, BomLine], *_READ_ONLY] = Field(
        default_factory=frozendict, description="child -> quantity per unit (a number), or {qty, alternates}"
    )
    sources: tuple[Source, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        # `control: ITAR`, `tags: camera` and `bom: {gear: 2}` are natural to write
        if isinstance(data, dict):
            fixed = None
            for key in ("control", "tags"):
                if isinstance(data.get(key), str):
                    fixed = fixed or dict(data)
                    fixed[key] = [data[key]]
            bom = data.get("bom")
            if isinstance(bom, dict) and any(not isinstance(v, dict) for v in bom.values()):
                fixed = fixed or dict(data)
                fixed["bom"] = {k: v if isinstance(v, (dict, BomLine)) else {"qty": v} for k, v in bom.items()}
            if fixed is not None:
                return fixed
        return data


class Demand(_Frozen):
    """The plan for an end item."""

    rate: NonNeg = Field(description="planned units per period")
    unit_value: NonNeg | None = Field(None, description="price or margin per unit; default the unit_cost")
    priority: Annotated[int, NoBool] | None = Field(None, description="higher wins a scarce shared part; default proportional")


class StockOption(_Frozen):
    """Extra stock of a part bought as a mitigation."""

    unit_cost: NonNeg | None = Field(
        None, description="cost per unit; default the part's unit_cost x (1 + holding_rate x holding_periods)")
    max: NonNeg | None = Field(None, description="units that can be bought at most; default no limit")


class QualifyOption(_Frozen):
    """Qualifying a not-yet-qualified source (``supplier``) or an alternate on one of
    the part's BOM lines (``alternate``) sooner: per period saved, or at a fixed cost
    so it is usable from the trigger on (``prequalify_cost``)."""

    part: Id
    supplier: Id | None = Field(None, description="a source of the part that is not yet qualified")
    alternate: Id | None = Field(None, description="an alternate part on one of the part's BOM lines")
    cost_per_period: NonNeg | None = Field(None, description="cost per period the qualification time is cut")
    min_time: Periods = Field(0, description="the qualification time cannot go below this")
    prequalify_cost: NonNeg | None = Field(None, description="fixed cost to qualify it before any event")

    @model_validator(mode="after")
    def _one_of_each(self) -> "QualifyOption":
        if (self.supplier is None) == (self.alternate is None):
            raise ValueError("name either supplier (a source not yet qualified) or alternate (on a BOM line)")
        if (self.cost_per_period is None) == (self.prequalify_cost is None):
            raise ValueError("give either cost_per_period or prequalify_cost (list the option twice for both)")
        return self


class CapacityOption(_Frozen):
    """More capacity on an existing source, bought per unit per period."""

    part: Id
    supplier: Id
    cost_per_unit: NonNeg = Field(description="cost of one more unit per period of capacity")
    max: NonNeg | None = Field(None, description="units per period that can be added at most")


class NewSourceOption(_Frozen):
    """A second source from a candidate list: usable ``qualification_time`` periods after
    the trigger (0: as soon as a flow of the part stops), at a fixed cost."""

    part: Id
    supplier: Id = Field(description="a supplier of the model or of the mitigation's suppliers")
    fixed_cost: NonNeg
    lead_time: Periods = 0
    capacity: NonNeg | None = Field(None, description="units per period at most; default unlimited")
    qualification_time: Periods = 0


class Mitigation(_Frozen):
    """Candidate actions with their costs, for ``supplychain mitigate``."""

    holding_rate: NonNeg = Field(0.0, description="holding cost per period, as a share of the unit cost")
    holding_periods: Periods | None = Field(None, description="periods stock is held; default the horizon")
    all_stock: bool = Field(True, description="offer stock of every part (at its unit cost) besides `stock`")
    stock: Annotated[dict[Id, StockOption], *_READ_ONLY] = Field(
        default_factory=frozendict, description="part -> extra stock option")
    qualify: tuple[QualifyOption, ...] = ()
    capacity: tuple[CapacityOption, ...] = ()
    new_sources: tuple[NewSourceOption, ...] = ()
    suppliers: Annotated[dict[Id, Supplier], *_READ_ONLY] = Field(
        default_factory=frozendict, description="suppliers of new sources that the model does not have")


class Model(_Frozen):
    """A production network: suppliers, parts with their BOM and sources, and the plan."""

    name: str | None = None
    description: str | None = None
    home: Country = Field(description="the producing country (ISO 3166-1 alpha-2)")
    period: Period = Period.week
    as_of: date | None = Field(None, description="date that fixes group membership (NATO, EU)")
    groups: Annotated[dict[Id, tuple[str, ...]], *_READ_ONLY] = Field(
        default_factory=frozendict, description="named country sets")
    suppliers: Annotated[dict[Id, Supplier], *_READ_ONLY]
    parts: Annotated[dict[Id, Part], *_READ_ONLY]
    demand: Annotated[dict[Id, Demand], *_READ_ONLY]
    references: Annotated[dict[str, str], *_READ_ONLY] = Field(
        default_factory=frozendict, description="source key -> citation")
    mitigation: Mitigation | None = Field(None, description="candidate actions for `supplychain mitigate`")

    @property
    def end_items(self) -> tuple[str, ...]:
        return tuple(self.demand)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False):
        """A copy of the model; ``update`` is refused: use :func:`supplychain.apply`.

        Replacing a field would swap a whole section (every part, say) without the
        checks a file gets; ``sc.apply(model, {"parts": {"turret": {"stock": 40}}})``
        changes what it names, keeps the rest and validates the result.
        """
        if update:
            fields = ", ".join(repr(k) for k in update)
            raise TypeError(
                f"model_copy(update=...) would replace {fields} unchecked; derive a changed model with "
                "supplychain.apply(model, {...}), e.g. sc.apply(model, {'parts': {'turret': {'stock': 40}}})")
        return super().model_copy(deep=deep)


class ItemFilter(_Frozen):
    """Which parts an embargo covers: any tag, control class or part id listed matches."""

    tags: tuple[str, ...] = ()
    control: tuple[str, ...] = ()
    parts: tuple[Id, ...] = ()


def _as_lists(data: Any, *keys: str) -> Any:
    """A single name where a list is expected (``imposed_by: CA``) is a list of one."""
    if isinstance(data, dict):
        for key in keys:
            if isinstance(data.get(key), str):
                data = {**data, key: [data[key]]}
    return data


class Distribution(BaseModel):
    """A scipy.stats distribution by name and parameters: ``{dist: lognorm, s: 0.6,
    scale: 26}``, ``{dist: uniform, loc: 0, scale: 52}``, ``{dist: randint, low: 2,
    high: 7}``. Draws of a field in periods are rounded to whole periods."""

    model_config = ConfigDict(frozen=True, extra="allow", allow_inf_nan=False,
                              json_schema_extra={"additionalProperties": {"type": "number"}})

    dist: str = Field(description="a scipy.stats distribution: norm, uniform, lognorm, triang, beta, randint, "
                                  "poisson, bernoulli, binom, ...")

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any, info: ValidationInfo) -> Any:
        # a YAML file gives its scalars as text; the parameters are numbers
        if isinstance(data, dict):
            out = {}
            for key, value in data.items():
                if key != "dist" and isinstance(value, str) and not (info.context or {}).get("typed"):
                    for kind in (int, float):
                        try:
                            value = kind(value)
                            break
                        except ValueError:
                            pass
                out[key] = value
            return out
        return data

    @model_validator(mode="after")
    def _known(self) -> "Distribution":
        self.frozen()  # raises with the fix when the name or a parameter is off
        return self

    @property
    def params(self) -> dict[str, float]:
        return dict(self.model_extra or {})

    def frozen(self):
        """The scipy.stats frozen distribution (checked: a known name, numeric
        parameters it takes, values inside its domain)."""
        from scipy import stats

        dist = getattr(stats, self.dist, None)
        if not isinstance(dist, (stats.rv_continuous, stats.rv_discrete)):
            import difflib

            names = [n for n in dir(stats) if isinstance(getattr(stats, n), (stats.rv_continuous, stats.rv_discrete))]
            near = difflib.get_close_matches(self.dist, names, n=1)
            hint = f"did you mean {near[0]!r}?" if near else \
                "use a scipy.stats name such as uniform, norm, lognorm, triang, randint, poisson or bernoulli"
            raise ValueError(f"unknown distribution {self.dist!r}; {hint}")
        for key, value in self.params.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"parameter {key!r} of {self.dist} must be a number (got {value!r})")
        try:
            frozen = dist(**self.params)
            median = float(frozen.ppf(0.5))
        except TypeError:
            takes = [*(dist.shapes.split(", ") if dist.shapes else []), "loc"]
            if isinstance(dist, stats.rv_continuous):
                takes.append("scale")
            raise ValueError(f"{self.dist} takes the parameters {', '.join(takes)} (got "
                             f"{', '.join(self.params) or 'none'})") from None
        if median != median:  # nan: a parameter outside the domain (a negative scale, p above 1)
            raise ValueError(f"the parameters {self.params} are outside the domain of {self.dist} "
                             "(a scale must be positive, a probability within 0 to 1)")
        return frozen


class Follower(_Frozen):
    """A country that joins an embargo when it happens: with ``probability``, starting
    ``lag`` periods after it (a number or a distribution), on the same items and terms."""

    imposed_by: tuple[str, ...] = Field(min_length=1, description="countries or groups that follow")
    probability: Annotated[float, NoBool] = Field(1.0, ge=0, le=1)
    lag: Periods | Distribution = Field(0, description="periods after the leader's start")

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        return _as_lists(data, "imposed_by")


class Uncertain(_Frozen):
    """What is not known about an event, for ``monte-carlo``: whether it happens, when,
    for how long and how hard, and who follows. A plain ``simulate`` runs the event's
    own fields."""

    probability: Annotated[float, NoBool] = Field(1.0, ge=0, le=1, description="chance the event happens")
    start: Distribution | None = Field(None, description="periods; rounded to whole periods")
    duration: Distribution | None = Field(None, description="periods, at least 1; replaces end / duration")
    severity: Distribution | None = Field(None, description="fraction stopped, clipped to 0-1 (0: no event)")
    followers: tuple[Follower, ...] = Field((), description="countries that join an embargo when it happens")


def _check_window(event: Any) -> Any:
    """An event's window: ``end`` or ``duration``, not both; ``end`` after ``start``."""
    if event.end is not None and event.duration is not None:
        raise ValueError("give either end or duration, not both")
    if event.end is not None and event.end <= event.start:
        raise ValueError(f"end {event.end} is not after start {event.start}: an event lasts at least one "
                         f"period (end is the first period it no longer runs); set end to {event.start + 1} "
                         "or later, or leave it out for an open-ended event")
    return event


class Embargo(_Frozen):
    """An export stop imposed by some countries on flows to others (DESIGN §3)."""

    name: str | None = None
    imposed_by: tuple[str, ...] = Field(min_length=1, description="countries or groups")
    against: tuple[str, ...] | None = Field(None, description="receiving countries or groups; default [home]")
    items: Literal["all"] | ItemFilter = "all"
    start: Periods = 0
    end: Periods | None = Field(None, description="first period no longer embargoed (exclusive)")
    duration: Periods | None = None
    severity: Annotated[float, NoBool] = Field(1.0, gt=0, le=1, description="fraction of each affected flow stopped")
    reach: tuple[Reach, ...] = (Reach.located, Reach.owned)
    content_threshold: Annotated[float, NoBool] = Field(0.0, ge=0, le=1, description="origin share that triggers content reach")
    content_rule: ContentRule = ContentRule.exceeds
    in_transit: InTransit = InTransit.delivered
    uncertain: Uncertain | None = Field(None, description="probability and distributions, for monte-carlo")

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        return _as_lists(data, "imposed_by", "against", "reach")

    @model_validator(mode="after")
    def _end_or_duration(self) -> "Embargo":
        return _check_window(self)

    @property
    def stop(self) -> int | None:
        """First period after the embargo (exclusive); None when open-ended."""
        if self.end is not None:
            return self.end
        if self.duration is not None:
            return self.start + self.duration
        return None


class Disruption(_Frozen):
    """Suppliers, countries or parts that stop supplying, whoever they ship to.

    The stress test builds these; a scenario may list them too (a fire, a bankruptcy).
    """

    name: str | None = None
    suppliers: tuple[Id, ...] = ()
    countries: tuple[str, ...] = ()
    parts: tuple[Id, ...] = ()
    start: Periods = 0
    end: Periods | None = None
    duration: Periods | None = None
    severity: Annotated[float, NoBool] = Field(1.0, gt=0, le=1)
    reach: tuple[Reach, ...] = Field(
        (Reach.located,), description="how a named country reaches a supplier: located (its facility is there) "
                                      "and/or owned (its owner is)")
    uncertain: Uncertain | None = Field(None, description="probability and distributions, for monte-carlo")

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        return _as_lists(data, "reach")

    @model_validator(mode="after")
    def _end_or_duration(self) -> "Disruption":
        if Reach.content in self.reach or not self.reach:
            raise ValueError("a disruption's reach is located and/or owned (content is an embargo's rule)")
        if self.uncertain is not None and self.uncertain.followers:
            raise ValueError("followers join an embargo; a disruption has none")
        return _check_window(self)

    stop = Embargo.stop


class UncertainStock(_Frozen):
    """A part whose stock is not known: its distribution (units, clipped at 0)."""

    part: Id
    stock: Distribution


class UncertainSource(_Frozen):
    """A source whose lead time (periods, rounded) or capacity (units a period, at
    least 0) is not known."""

    part: Id
    supplier: Id
    lead_time: Distribution | None = None
    capacity: Distribution | None = None


class UncertainLink(_Frozen):
    """A mapped sub-tier link that may not exist: the part comes from the supplier with
    ``confidence``; in a trial without it the part comes from its other sources."""

    part: Id
    supplier: Id
    confidence: Annotated[float, NoBool] = Field(ge=0, le=1, description="chance the link exists")


class UncertainModel(_Frozen):
    """Model quantities ``monte-carlo`` draws per trial (a plain ``simulate`` keeps the
    model's own values)."""

    stock: tuple[UncertainStock, ...] = ()
    sources: tuple[UncertainSource, ...] = ()
    links: tuple[UncertainLink, ...] = ()


class Scenario(_Frozen):
    """What happens to a model: embargoes and disruptions over a horizon."""

    name: str | None = None
    description: str | None = None
    model: str | None = Field(None, description="path of the model file, relative to this scenario file")
    horizon: Annotated[int, NoBool] = Field(DEFAULT_HORIZON, gt=0, le=MAX_PERIODS,
                                            description="number of periods simulated")
    start_date: date | None = Field(None, description="calendar date of period 0 (for reports)")
    as_of: date | None = Field(None, description="date fixing group membership; default start_date")
    embargoes: tuple[Embargo, ...] = ()
    disruptions: tuple[Disruption, ...] = ()
    overrides: Annotated[dict[str, Any], AfterValidator(_freeze), WrapSerializer(lambda d, handler: handler(thaw(d)))] = Field(
        default_factory=frozendict, description="model fields replaced for this scenario (deep-merged)"
    )
    references: Annotated[dict[str, str], *_READ_ONLY] = Field(default_factory=frozendict)
    uncertain_model: UncertainModel | None = Field(None, description="model quantities drawn per trial, for monte-carlo")
