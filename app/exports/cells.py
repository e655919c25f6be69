"""Cell values for spreadsheets: formula-injection neutralisation and dates written as a file wrote them."""

from __future__ import annotations

import datetime as dt

# A spreadsheet evaluates a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class WrittenDate(dt.date):
    """A date with the text a spreadsheet wrote it as (`1/14/2025`): CSV writes the text, XLSX a date cell."""

    written: str

    def __new__(cls, day: dt.date, written: str) -> WrittenDate:
        self = super().__new__(cls, day.year, day.month, day.day)
        self.written = written
        return self


def neutralise(value: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula; other text is unchanged."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
