"""Commands about the model itself: ``validate``, ``show`` and ``schema``."""

from __future__ import annotations

import json
import warnings
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from supplychain.cli import app
from supplychain.cli.common import err, guarded, out, print_json, say, to_jsonable
from supplychain.errors import ModelError, ModelWarning, SupplyChainError, clip
from supplychain.io import load_any
from supplychain.model.schema import Model, Scenario
from supplychain.reports.format import wrap
from supplychain.reports.model_report import (SHOW_DEPTH, groups_dict, model_summary, render_groups, render_summary,
                                              validation_dict, validation_line)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@app.command()
@guarded
def validate(
    files: list[Path] = typer.Argument(..., help="model or scenario files (YAML, TOML or JSON)", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="print a JSON list of {file, valid, problems} to stdout"),
) -> None:
    """Check model and scenario files; report every problem of every file.

    Exits 1 when any file is invalid. A scenario is checked together with its model.
    """
    entries = []
    for path in files:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ModelWarning)
            try:
                model, scenario = load_any(path)
                entry = validation_dict(str(path), model=model, scenario=scenario,
                                        warnings=_messages(caught))
            except ModelError as exc:
                entry = validation_dict(str(path), error=exc, warnings=_messages(caught))
        entries.append(entry)
        if as_json:
            continue
        if entry["valid"]:
            for line in wrap(validation_line(entry), err.width):
                err.print(f"[green]{_escape(line)}[/]", markup=True)
        else:
            n = len(entry["problems"])
            err.print(f"[bold red]{_escape(clip(str(path), 160))}: {n} problem{'s' if n != 1 else ''}[/]", markup=True)
            for p in entry["problems"]:
                where = ": ".join(x for x in (p["file"] and clip(p["file"], 160), p["path"]) if x)
                say(f"{where + ': ' if where else ''}{p['message']}", "red", indent=2)
        for w in entry["warnings"]:
            say(f"warning: {w}", "yellow", indent=2)
    if as_json:
        print_json(entries)
    if not all(e["valid"] for e in entries):
        raise typer.Exit(1)


def _messages(caught) -> list[str]:
    seen: list[str] = []
    for w in caught:
        if issubclass(w.category, ModelWarning) and str(w.message) not in seen:
            seen.append(str(w.message))
    return seen


@app.command()
@guarded
def show(
    file: Path = typer.Argument(..., help="a model file, or a scenario (shows its model with overrides applied)",
                                show_default=False),
    depth: Optional[int] = typer.Option(
        None, "--depth", min=0,
        help=f"BOM levels shown below each end item (default: {SHOW_DEPTH} in the terminal, all in --json)"),
    as_json: bool = typer.Option(False, "--json", help="print the same summary as JSON"),
) -> None:
    """Summarise a model: counts, supplier countries, tiers and each end item's BOM with
    stock, sources, owners and lead times (a shared sub-assembly's BOM listed once)."""
    model, scenario = load_any(file)
    if as_json:
        print_json(model_summary(model, scenario=scenario, file=str(file), depth=depth))
    else:
        summary = model_summary(model, scenario=scenario, file=str(file), depth=SHOW_DEPTH if depth is None else depth)
        out.print(render_summary(summary, width=out.width))


class SchemaKind(str, Enum):
    model = "model"
    scenario = "scenario"
    mitigation = "mitigation"


@app.command()
@guarded
def groups(
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE",
                                        help="members on this date (YYYY-MM-DD; default: today's membership)"),
    as_json: bool = typer.Option(False, "--json", help="print every group, member date and source as JSON"),
) -> None:
    """The built-in country groups (NATO, EU, G7, FIVE_EYES, WASSENAAR): members with
    the dates they joined and left, and the public sources of those dates."""
    when = None
    if as_of is not None:
        try:
            when = date.fromisoformat(as_of)
        except ValueError:
            raise SupplyChainError(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD") from None
    data = groups_dict(when)
    if as_json:
        print_json(data)
    else:
        out.print(render_groups(data, when=when, width=out.width))


@app.command()
@guarded
def schema(
    kind: Optional[SchemaKind] = typer.Argument(None, help="model, scenario or mitigation; all when omitted"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write the schema to this file"),
) -> None:
    """Print the JSON Schema of the model, scenario or mitigation file format (all by default).

    Editors that understand JSON Schema (VS Code's YAML extension, for one) can use it
    to complete and check model files as they are written.
    """
    from supplychain.model.schema import Mitigation

    schemas = {"model": Model.model_json_schema(), "scenario": Scenario.model_json_schema(),
               "mitigation": Mitigation.model_json_schema()}
    data = schemas[kind.value] if kind is not None else schemas
    if output is None:
        print_json(data)
        return
    text = json.dumps(to_jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    from supplychain.io.output import write_file

    write_file(output, text.encode("utf-8"))
    err.print(f"[green]wrote {_escape(str(output))}[/]", markup=True)
