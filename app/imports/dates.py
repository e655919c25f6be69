"""Dates as spreadsheets hold them: real dates, Excel serial numbers, and text in the common formats.

Numeric text such as 03/04/2024 is ambiguous; the batch's `date_order` ("dmy" or "mdy") decides,
and `date_order_evidence` proposes one from the values themselves (a 13 or more in the first place
can only be a day). A date written without its year (`Oct 12`, `3/4`) is answered in the year
`YEARLESS` (a leap year, so 29 Feb reads); the caller gives it a year with `with_year`. Month names in
German, French, Spanish, Portuguese, Italian and Dutch read as well as English ones, and a range
(`September 17, 2025 → September 19, 2025`, as Notion exports dates) reads as its start.
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
DAY_MONTH = re.compile(r"^(\d{1,2})(?:[-/](\d{1,2})|\.(\d{1,2})\.?)$")  # 3/4, 16.03.
DOTTED = re.compile(r"^\d{1,2}\.\d{1,2}\.(\d{2}|\d{4})?$")
HAS_MONTH_NAME = re.compile(r"[^\W\d_]{3,}")
# A range's separator: →, ->, a dash between spaces (hyphen, en or em dash), or a word.
RANGE = re.compile(r"\s*(?:→|->)\s*|\s+(?:-|\u2013|\u2014|to|bis|au|tot|a|al)\s+")
YEARLESS = 4  # the year of a date that names none (year 4 is a leap year: 29 Feb reads)
MONTH_WORDS = {
    # German, French, Spanish, Portuguese, Italian, Dutch month names (and common short forms) -> English
    **dict.fromkeys(("januar", "jänner", "janvier", "enero", "janeiro", "gennaio", "januari"), "january"),
    **dict.fromkeys(("februar", "février", "fevrier", "febrero", "fevereiro", "febbraio", "februari"), "february"),
    **dict.fromkeys(("märz", "maerz", "mars", "marzo", "março", "marco", "maart", "mär"), "march"),
    **dict.fromkeys(("avril", "abril", "aprile"), "april"),
    **dict.fromkeys(("mai", "mayo", "maio", "maggio", "mei"), "may"),
    **dict.fromkeys(("juni", "juin", "junio", "junho", "giugno"), "june"),
    **dict.fromkeys(("juli", "juillet", "julio", "julho", "luglio"), "july"),
    **dict.fromkeys(("august", "août", "aout", "agosto", "augustus"), "august"),
    **dict.fromkeys(("septembre", "septiembre", "setembro", "settembre"), "september"),
    **dict.fromkeys(("oktober", "octobre", "octubre", "outubro", "ottobre"), "october"),
    **dict.fromkeys(("novembre", "noviembre", "novembro"), "november"),
    **dict.fromkeys(("dezember", "décembre", "decembre", "diciembre", "dezembro", "dicembre"), "december"),
    **dict.fromkeys(("de", "del", "du", "le", "am", "den"), ""),
}
MONTH_WORD = re.compile(r"[^\W\d_]+")


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
        dotted = "." in text[: match.end(2)]  # 16.03.2025 is written day first wherever dots are used
        day, month = (first, second) if dayfirst or dotted else (second, first)
        return _safe_date(year, month, day)
    match = DAY_MONTH.match(text)
    if match:
        first, second = int(match[1]), int(match[2] or match[3])
        dotted = match[3] is not None  # 16.03. is written day first wherever dots are used
        day, month = (first, second) if dayfirst or dotted else (second, first)
        return _safe_date(YEARLESS, month, day)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return from_serial(float(text))  # a serial number exported as text
    parts = RANGE.split(text, maxsplit=1)
    if len(parts) > 1 and parts[0]:
        return _parse_text(parts[0].strip(), dayfirst)  # a range: its start
    if not HAS_MONTH_NAME.search(text) or not re.search(r"\d", text):
        return None  # "yes", "n/a", "soon": not dates; dateutil would invent one from today
    english = MONTH_WORD.sub(lambda word: MONTH_WORDS.get(word[0].casefold(), word[0]), text)
    try:
        with warnings.catch_warnings():  # e.g. an unknown time zone name: the date is all we want
            warnings.simplefilter("ignore")
            parsed = dateutil_parser.parse(english, dayfirst=dayfirst, default=datetime(YEARLESS, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.date()


def is_yearless(day: date) -> bool:
    return day.year == YEARLESS


def with_year(day: date, reference: date) -> date:
    """A year-less `day` in the year that puts it nearest `reference` (the file's or the row's own dates)."""
    years = (reference.year - 1, reference.year, reference.year + 1)
    candidates = [_safe_date(year, day.month, day.day) for year in years]
    return min((c for c in candidates if c is not None), key=lambda c: (abs((c - reference).days), c))


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 and year < 70 else year + 1900 if len(text) == 2 else year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_order_evidence(value: Any) -> str | None:
    """ "dmy" or "mdy" if this text can only be read one way, "either" if it reads both ways, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = NUMERIC.match(text) or DAY_MONTH.match(text)
    if not match:
        return None
    first, second = int(match[1]), int(match[2] or match[3])
    if first == second or first == 0 or second == 0:
        return None
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return "either" if first <= 12 and second <= 12 else None


def is_dotted(value: Any) -> bool:
    """16.03.2025: numbers with dots, the way day-first countries write dates."""
    return isinstance(value, str) and DOTTED.match(value.strip()) is not None


def looks_like_date(value: Any) -> bool:
    """Whether a cell holds a date in some form (for proposing a column's field from its content)."""
    if isinstance(value, date):
        return True
    if isinstance(value, str):
        return parse_date(value, "mdy") is not None or parse_date(value, "dmy") is not None
    return False
