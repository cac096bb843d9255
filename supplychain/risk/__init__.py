"""Risk: the stress-test linear programs and the batched stress test.

:mod:`supplychain.risk.lp` holds the LP bounds (time to survive, performance impact);
:mod:`supplychain.risk.stress` disrupts every country, supplier or part in turn.
"""

from supplychain.risk.lp import (
    LPImpact,
    LPNetwork,
    compile_lp,
    impact_lp,
    open_fractions,
    performance_impact,
    time_to_survive_lp,
)
from supplychain.risk.stress import StressResult, StressRow, stress_test

__all__ = [
    "LPImpact", "LPNetwork", "compile_lp", "impact_lp", "open_fractions", "performance_impact",
    "time_to_survive_lp", "StressResult", "StressRow", "stress_test",
]
