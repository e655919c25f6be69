"""CSV (RFC 4180, UTF-8) streamed a chunk of rows at a time; every cell is text, neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from app.exports.cells import WrittenDate, neutralise

BOM = "\ufeff"


def csv_cell(value: Any) -> str:
    """A row value as CSV text: dates as YYYY-MM-DD, None as empty, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, WrittenDate):
        return value.written
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def csv_stream(header: list[str], chunks: Iterable[list[list[Any]]], *, bom: bool = False) -> Iterator[str]:
    """The CSV text: the header, then one piece per chunk of rows (memory holds one chunk).

    `bom` starts the file with a byte-order mark, which makes Excel read it as UTF-8.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([csv_cell(name) for name in header])
    for chunk in chunks:
        writer.writerows([csv_cell(value) for value in row] for row in chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
