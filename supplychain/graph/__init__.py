"""networkx views of a model: the typed graph and BOM walks; analyses live beside them."""

from supplychain.graph.bom import BomRow, bom_tree, end_items_using, supplier_countries, tiers, where_used
from supplychain.graph.build import build_graph, country_node, part_node, supplier_node

__all__ = [
    "BomRow", "bom_tree", "build_graph", "country_node", "end_items_using", "part_node",
    "supplier_countries", "supplier_node", "tiers", "where_used",
]
