"""CSV export, shared by `qa facts/conflicts --format csv` and the app's download.

A cell that begins with = + - @, a tab or a carriage return is a formula to spreadsheet
programs (CSV injection): such cells get a leading apostrophe, which the programs show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a spreadsheet shows it as text: strings that would start a formula get a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(out, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write a header and rows to a text file object (opened with newline='')."""
    w = csv.writer(out)
    w.writerow([safe_cell(h) for h in header])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    buf = io.StringIO(newline="")
    write_csv(buf, header, rows)
    return buf.getvalue()
