"""Writing tables out (CSV, table text) without letting a user's text become a spreadsheet formula.

Example:
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-3"), safe_cell(-3), safe_cell("plain")
    ('\\'=HYPERLINK("http://x")', "'-3", -3, 'plain')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(v: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers pass through."""
    if isinstance(v, str) and v.startswith(_TRIGGERS):
        return "'" + v
    return v


def _flat(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return "" if v is None else v


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV text of `rows` (lists joined with '; '), formula-safe."""
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: safe_cell(_flat(v)) for k, v in r.items()})
    return buf.getvalue()


def to_table(rows: Sequence[dict[str, Any]], *, max_width: int = 40) -> str:
    """A plain fixed-width text table for the terminal."""
    if not rows:
        return "(none)"
    cols = list(rows[0])
    cells = [[str(_flat(r.get(c))).replace("\n", " ")[:max_width] for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)
