"""networkx views of a model: the typed graph, BOM walks, exposure and concentration."""

from supplychain.graph.bom import BomRow, bom_tree, end_items_using, supplier_countries, tiers, where_used
from supplychain.graph.build import build_graph, country_node, part_node, supplier_node
from supplychain.graph.concentration import (
    ConcentrationResult,
    PartConcentration,
    SinglePointOfFailure,
    concentration,
    hhi,
)
from supplychain.graph.exposure import CountryExposure, ExposureResult, PartExposure, exposure_by_country

__all__ = [
    "BomRow", "ConcentrationResult", "CountryExposure", "ExposureResult", "PartConcentration",
    "PartExposure", "SinglePointOfFailure", "bom_tree", "build_graph", "concentration",
    "country_node", "end_items_using", "exposure_by_country", "hhi", "part_node",
    "supplier_countries", "supplier_node", "tiers", "where_used",
]
