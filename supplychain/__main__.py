"""``python -m supplychain``: the command line."""

from supplychain.cli import main

main()
