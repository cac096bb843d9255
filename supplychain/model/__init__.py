"""The model: pydantic classes (the file format) and the rules that relate their entries."""

from supplychain.model.checks import (
    Vocabulary,
    check_disruption,
    check_model,
    check_scenario,
    expand_countries,
    topological_parts,
)
from supplychain.model.countries import builtin_groups, country_name, is_country
from supplychain.model.schema import (
    Alternate,
    BomLine,
    ContentRule,
    Demand,
    Disruption,
    Embargo,
    InTransit,
    ItemFilter,
    Model,
    Part,
    Period,
    Reach,
    Scenario,
    Source,
    Supplier,
)

__all__ = [
    "Alternate", "BomLine", "ContentRule", "Demand", "Disruption", "Embargo", "InTransit",
    "ItemFilter", "Model", "Part", "Period", "Reach", "Scenario", "Source", "Supplier",
    "Vocabulary", "builtin_groups", "check_disruption", "check_model", "check_scenario", "country_name",
    "expand_countries", "is_country", "topological_parts",
]
