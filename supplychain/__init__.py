"""supplychain: what an export embargo does to a defense production line.

Load a model (YAML, TOML or JSON), look at it as a networkx graph, and ask what an
embargo does to the line::

    import supplychain as sc
    model, scenario = sc.load_scenario("scenarios/tb2/canada-2020.yaml")
    sc.build_graph(model)  # networkx.MultiDiGraph of parts, suppliers and countries
    result = sc.simulate(model, scenario)
    more = sc.apply(model, {"parts": {"turret": {"stock": 40}}})  # a what-if: a new model
    result.end_items["tb2"].time_to_survive
    sc.stress_test(model, by="country").to_frame()
    sc.mitigate(model, [scenario]).actions  # the cheapest plan that loses nothing
"""

from supplychain.errors import InfeasibleError, ModelError, ModelWarning, OutOfMemory, Problem, SupplyChainError
from supplychain.graph import build_graph, concentration, exposure_by_country
from supplychain.io import load_any, load_mitigation, load_model, load_scenario
from supplychain.model import (
    Alternate,
    BomLine,
    Demand,
    Disruption,
    Embargo,
    ItemFilter,
    Model,
    Part,
    Scenario,
    Source,
    Supplier,
    check_model,
    expand_countries,
)

from supplychain.network import Network, compile_network
from supplychain.network.whatif import apply
from supplychain.risk import performance_impact, stress_test, time_to_survive_lp
from supplychain.risk.mitigate import MitigationResult, mitigate
from supplychain.risk.montecarlo import MonteCarloResult, monte_carlo
from supplychain.sim import EndItemResult, SimulationResult, simulate, simulate_batch
from supplychain.sim.compare import Comparison, compare
from supplychain.sim.explain import Explanation, explain

__version__ = "0.1.0"

__all__ = [
    "Alternate", "BomLine", "Demand", "Disruption", "Embargo", "InfeasibleError", "ItemFilter",
    "Model", "ModelError", "ModelWarning", "Part", "Problem", "Scenario", "Source", "Supplier",
    "OutOfMemory", "SupplyChainError", "check_model", "expand_countries", "load_any", "load_model",
    "load_scenario", "__version__", "EndItemResult", "SimulationResult", "simulate",
    "simulate_batch", "stress_test", "time_to_survive_lp", "performance_impact",
    "exposure_by_country", "concentration", "apply", "compile_network", "Network", "build_graph",
    "explain", "Explanation", "compare", "Comparison", "monte_carlo", "MonteCarloResult",
    "mitigate", "MitigationResult", "load_mitigation",
]
