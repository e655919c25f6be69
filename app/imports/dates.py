"""Dates as spreadsheets hold them: real dates, Excel serial numbers, and text in the common formats.

Numeric text such as 03/04/2024 is ambiguous; the batch's `date_order` ("dmy" or "mdy") decides,
and `date_order_evidence` proposes one from the values themselves (a 13 or more in the first place
can only be a day).
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from dateutil import parser as dateutil_parser

DATE_ORDERS = ("dmy", "mdy")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
SERIAL_RANGE = (20_000, 80_000)  # 1954 .. 2119: numbers outside are not taken for dates
ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T].*)?$")
HAS_MONTH_NAME = re.compile(r"[A-Za-z]{3,}")


def parse_date(value: Any, date_order: str = "mdy") -> date | None:
    """The date a cell holds, or None when it holds none (the caller reports the problem)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        return from_serial(value)
    if isinstance(value, str):
        return _parse_text(value.strip(), date_order == "dmy")
    return None


def from_serial(number: float) -> date | None:
    """An Excel serial day number as a date, if it is a plausible one."""
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        return None
    return EXCEL_EPOCH + timedelta(days=int(number))


@lru_cache(maxsize=4096)
def _parse_text(text: str, dayfirst: bool) -> date | None:
    if not text:
        return None
    match = ISO.match(text)
    if match:
        return _safe_date(int(match[1]), int(match[2]), int(match[3]))
    match = NUMERIC.match(text)
    if match:
        first, second, year = int(match[1]), int(match[2]), _full_year(match[3])
        day, month = (first, second) if dayfirst else (second, first)
        return _safe_date(year, month, day)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return from_serial(float(text))  # a serial number exported as text
    if not HAS_MONTH_NAME.search(text) or not re.search(r"\d", text):
        return None  # "yes", "n/a", "soon": not dates; dateutil would invent one from today
    try:
        with warnings.catch_warnings():  # e.g. an unknown time zone name: the date is all we want
            warnings.simplefilter("ignore")
            parsed = dateutil_parser.parse(text, dayfirst=dayfirst, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.date()


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 and year < 70 else year + 1900 if len(text) == 2 else year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_order_evidence(value: Any) -> str | None:
    """ "dmy" or "mdy" if this text can only be read one way, else None."""
    if not isinstance(value, str):
        return None
    match = NUMERIC.match(value.strip())
    if not match:
        return None
    first, second = int(match[1]), int(match[2])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def looks_like_date(value: Any) -> bool:
    """Whether a cell holds a date in some form (for proposing a column's field from its content)."""
    if isinstance(value, date):
        return True
    if isinstance(value, str):
        return parse_date(value, "mdy") is not None or parse_date(value, "dmy") is not None
    return False
