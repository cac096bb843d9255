"""The command line: ``supplychain validate|show|schema|simulate|exposure|…``.

The only module tree that prints or exits. Each topic registers its commands on
``app`` from its own module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    name="supplychain",
    help="Supply-chain dependency risk: what an export embargo does to a production line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)



@app.callback()
def _options(
    root: Optional[Path] = typer.Option(  # noqa: UP007 - typer reads Optional
        None, "--root", metavar="DIR",
        help="Refuse any scenario whose model file lies outside DIR (for a service running "
             "scenarios it did not write)."),
) -> None:
    """Supply-chain dependency risk: what an export embargo does to a production line."""
    from supplychain.io.load import MODEL_ROOT

    MODEL_ROOT.set(root)  # every run sets it (None: no limit)


# importing a module registers its commands on `app`
from supplychain.cli import model_cmds  # noqa: E402,F401
from supplychain.cli import simulate_cmds  # noqa: E402,F401
from supplychain.cli import risk_cmds  # noqa: E402,F401
from supplychain.cli import generate_cmds  # noqa: E402,F401


def main() -> None:
    """Entry point of the ``supplychain`` console script. SIGTERM ends a run through
    the exception path, so no output is left half written (exit 143)."""
    from supplychain.io.output import exit_on_signals

    with exit_on_signals():
        app()
