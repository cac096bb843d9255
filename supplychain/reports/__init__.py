"""Reports: results -> rich tables, trees and plain dicts for JSON; they compute nothing.

One module per topic (``model_report`` for ``validate``/``show``, …). Import the module
you need; this package re-exports nothing, so a report never pulls in another's
dependencies.
"""
