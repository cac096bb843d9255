"""Input and output: the only code that reads or writes files."""

from supplychain.io.load import load_any, load_mitigation, load_model, load_scenario, model_from_data, read_data

__all__ = ["load_any", "load_mitigation", "load_model", "load_scenario", "model_from_data", "read_data"]
