"""``supplychain generate``: write a seeded synthetic network and an embargo scenario."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from supplychain.cli import app
from supplychain.cli.common import err, guarded
from supplychain.errors import SupplyChainError
from supplychain.io.output import Outputs
from supplychain.io.write import data_bytes
from supplychain.synthetic import generate_network, generate_scenario

_SUFFIX = {"k": 1_000, "m": 1_000_000}


def parse_count(text: str) -> int:
    """``"2000"``, ``"10k"`` or ``"1m"`` as a whole number.

    >>> parse_count("10k"), parse_count("1M"), parse_count("250")
    (10000, 1000000, 250)
    """
    t = text.strip().lower().replace("_", "").replace(",", "")
    scale = _SUFFIX.get(t[-1:], 1)
    digits = t[:-1] if scale > 1 else t
    try:
        value = float(digits) * scale
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a count; write e.g. 2000, 10k or 1m") from None
    if value != int(value) or value < 1:
        raise typer.BadParameter(f"{text!r} is not a whole positive count")
    return int(value)


@app.command()
@guarded
def generate(
    parts: str = typer.Option(..., "--parts", "-n", help="number of parts: 2000, 10k, 1m", show_default=False),
    seed: int = typer.Option(0, "--seed", "-s", help="random seed: same seed, same files"),
    out_dir: Path = typer.Option(..., "--out", "-o", help="folder for model.json and scenario.json",
                                 show_default=False),
    end_items: Optional[int] = typer.Option(None, "--end-items", min=1, help="end items (default 3-8, seeded)"),
    countries: Optional[int] = typer.Option(None, "--countries", min=2,
                                            help="supplier countries including home (default 20-60, seeded)"),
    levels: Optional[int] = typer.Option(None, "--levels", min=2, help="BOM levels (default 6-12, seeded)"),
    home: str = typer.Option("TR", "--home", help="the producing country (ISO 3166-1 alpha-2)"),
    force: bool = typer.Option(False, "--force", help="overwrite model.json and scenario.json if they exist"),
) -> None:
    """Write a seeded synthetic network (DIR/model.json) and an embargo on it (DIR/scenario.json).

    The scenario stops exports from the foreign country with the largest supply share
    from period 8 to the end of a 104-period horizon. Same options, same bytes.
    Run it with `supplychain simulate DIR/scenario.json`.
    """
    n_parts = parse_count(parts)
    model_path, scenario_path = out_dir / "model.json", out_dir / "scenario.json"
    existing = [p for p in (model_path, scenario_path) if p.exists()]
    if existing and not force:
        raise SupplyChainError(
            f"{existing[0]} already exists; pass --force to overwrite it, or choose another --out folder"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise SupplyChainError(f"--out {out_dir} is a file, not a folder; name a folder for the two files")
    began = time.perf_counter()
    err.print(f"generating {n_parts:,} parts (seed {seed}) …")
    try:
        data = generate_network(n_parts, seed=seed, n_end_items=end_items, n_countries=countries,
                                n_levels=levels, home=home)
    except ValueError as exc:
        raise SupplyChainError(f"cannot generate the network: {exc}") from None
    scenario = generate_scenario(data, seed=seed, model_file=model_path.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Outputs() as outputs:  # both or neither
        outputs.add(model_path, data_bytes(data, model_path))
        outputs.add(scenario_path, data_bytes(scenario, scenario_path))
    err.print(f"wrote {model_path} ({model_path.stat().st_size / 1e6:,.1f} MB): {data['description'].split(';')[0]}")
    err.print(f"wrote {scenario_path}: {scenario['name']}, horizon {scenario['horizon']}")
    err.print(f"done in {time.perf_counter() - began:.1f} s")
