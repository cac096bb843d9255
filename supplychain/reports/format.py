"""How a figure is printed: one home for every report's numbers, times and shares.

Quantities and money get up to 4 significant digits with thousands separators, and
``M`` / ``B`` for millions and billions; times are in the model's periods, ``-`` for
an event that never happens and ``unbounded`` for an LP time that never ends; shares
print as percentages with one decimal.
"""

from __future__ import annotations

import math
import textwrap

__all__ = ["fmt_number", "fmt_time", "fmt_pct", "fmt_hhi", "fmt_index", "plain", "wrap"]


def fmt_number(x: float | None) -> str:
    """A quantity or an amount for a table.

    >>> fmt_number(13_456_000_000.0), fmt_number(498_000_000.0), fmt_number(4_384_986.0)
    ('13.46B', '498M', '4.385M')
    >>> fmt_number(60_000.0), fmt_number(99.6), fmt_number(1.8e-13), fmt_number(None)
    ('60,000', '99.6', '0', '-')
    >>> fmt_number(999_990_000.0), fmt_number(999.96), fmt_number(0.5), fmt_number(float("inf"))
    ('1B', '1,000', '0.5', 'unlimited')
    """
    if x is None:
        return "-"
    if math.isinf(x):
        return "unlimited" if x > 0 else "-unlimited"
    if abs(x) < 1e-9:
        return "0"
    # the unit after rounding to four digits, so 999.99M prints as 1B
    for scale, unit in ((1e9, "B"), (1e6, "M")):
        if float(f"{abs(x) / scale:.4g}") >= 1:
            return f"{x / scale:,.4g}{unit}"
    if float(f"{abs(x):.4g}") >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.4g}"


def fmt_time(t: float | int | None) -> str:
    """A time in periods: ``-`` for None, ``unbounded`` for inf.

    >>> fmt_time(None), fmt_time(math.inf), fmt_time(12.5), fmt_time(5)
    ('-', 'unbounded', '12.5', '5')
    """
    if t is None:
        return "-"
    if isinstance(t, float) and math.isinf(t):
        return "unbounded"
    return f"{t:,.4g}" if isinstance(t, float) else str(t)


def fmt_pct(share: float) -> str:
    """A 0-1 share as a percentage with one decimal.

    >>> fmt_pct(0.16)
    '16.0%'
    """
    return f"{100 * share:.1f}%"


def fmt_hhi(hhi: float | None) -> str:
    """A Herfindahl-Hirschman index (0-10,000), whole, ``-`` when there is none.

    >>> fmt_hhi(5200.0), fmt_hhi(None)
    ('5,200', '-')
    """
    return "-" if hhi is None else f"{hhi:,.0f}"


def fmt_index(index: float) -> str:
    """A 0-1 index such as the risk exposure index, two decimals.

    >>> fmt_index(0.4567)
    '0.46'
    """
    return f"{index:.2f}"


def plain(text: str) -> str:
    r"""Text from a model file, safe to print: control characters (which could move the
    cursor or recolour a terminal) shown as escapes, everything else as it is.

    >>> plain("turret\x1b[2J"), plain("Gerät")
    ('turret\\x1b[2J', 'Gerät')
    """
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
                   for c in str(text))


def wrap(text: str, width: int, *, indent: int = 0, hang: int = 4) -> list[str]:
    """``text`` in lines of at most ``width`` characters, the first indented by
    ``indent``, the rest by ``indent + hang``; words are never split, so an id longer
    than the line stands alone on its line.

    >>> wrap("wescam (CA) -> turret_wescam -> baykar (TR)", 20)
    ['wescam (CA) ->', '    turret_wescam ->', '    baykar (TR)']
    """
    return textwrap.wrap(plain(text), width=max(width, 20), initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + hang), break_long_words=False,
                         break_on_hyphens=False) or [""]
