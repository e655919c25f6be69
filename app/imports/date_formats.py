"""How a column writes its dates (`1/14/2025`, `14.01.2025`, `September 17, 2025`), so that an export laid
out like the file (`?layout=`) writes them the same way.

A format is a pattern of tokens: YYYY and YY (year), MM and M (month, with or without a leading zero), MMMM
and MMM (English month name, full or three letters), DD and D (day); anything else is written as it is.
Only the date is kept: a time of day (`1/28/2025 2:30pm`) is not, and a range comes back as its start.
A column whose dates follow no one format of these, or are real spreadsheet dates, has none (ISO then).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

NUMERIC = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?=$|[ T,])")
NAMED = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?(,?) (\d{4})(?=$|[ T,→-])")  # September 17, 2025
NAMED_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.?(,?) (\d{4})(?=$|[ T,→-])")  # 17 Sep 2025
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
TOKEN = re.compile(r"YYYY|YY|MMMM|MMM|MM|M|DD|D")
FORMAT_MAX_LENGTH = 40


def format_of(text: str, date_order: str) -> str | None:
    """The format `text` is written in, read with the file's date order ("dmy" or "mdy"), if it is one."""
    text = text.strip()
    match = NUMERIC.match(text)
    if match:
        first, sep, second, third = match[1], match[2], match[3], match[4]
        if len(first) == 4:
            return f"YYYY{sep}{_number(second, 'M')}{sep}{_number(third, 'D')}"
        if len(third) not in (2, 4) or len(first) > 2:
            return None
        year = "YYYY" if len(third) == 4 else "YY"
        if date_order == "dmy" or sep == ".":
            return f"{_number(first, 'D')}{sep}{_number(second, 'M')}{sep}{year}"
        return f"{_number(first, 'M')}{sep}{_number(second, 'D')}{sep}{year}"
    match = NAMED.match(text)
    if match and _month_token(match[1]):
        return f"{_month_token(match[1])} {_number(match[2], 'D')}{match[3]} YYYY"
    match = NAMED_DAY_FIRST.match(text)
    if match and _month_token(match[2]):
        return f"{_number(match[1], 'D')} {_month_token(match[2])}{match[3]} YYYY"
    return None


def column_format(texts: Iterable[str], date_order: str) -> str | None:
    """The one format a column's dates are written in; None if there is none or several disagree.

    `M` and `MM` (and `D` and `DD`) are one format with or without leading zeros, since `12` reads either
    way: a column is padded if any of its values has a leading zero, or if it starts with the year (as ISO
    dates do) and none of its values has a one-digit month or day."""
    texts = list(texts)
    formats = {found for text in texts if (found := format_of(text, date_order)) is not None}
    loose = {_retoken(spec, {"MM": "M", "DD": "D"}) for spec in formats}
    if len(loose) != 1:
        return None
    spec = loose.pop()
    padded = any(found != _retoken(found, {"MM": "M", "DD": "D"}) for found in formats)
    if spec.startswith("YYYY") and not padded:
        padded = not any((match := NUMERIC.match(t.strip())) and min(len(match[3]), len(match[4])) == 1 for t in texts)
    return _retoken(spec, {"M": "MM", "D": "DD"}) if padded else spec


def _retoken(spec: str, replacements: dict[str, str]) -> str:
    return TOKEN.sub(lambda match: replacements.get(match[0], match[0]), spec)


def _number(part: str, token: str) -> str:
    """`M` or `MM` (`D` or `DD`): doubled when the part has a leading zero."""
    return token * 2 if len(part) == 2 and part.startswith("0") else token


def _month_token(name: str) -> str | None:
    folded = name.casefold()
    for month in MONTHS:
        if folded == month.casefold():
            return "MMMM"
        if folded == month[:3].casefold() or (folded == "sept" and month == "September"):
            return "MMM"
    return None


def format_date(day: date, spec: str) -> str:
    """`day` written in the format `spec`."""
    values = {
        "YYYY": f"{day.year:04d}",
        "YY": f"{day.year % 100:02d}",
        "MMMM": MONTHS[day.month - 1],
        "MMM": MONTHS[day.month - 1][:3],
        "MM": f"{day.month:02d}",
        "M": str(day.month),
        "DD": f"{day.day:02d}",
        "D": str(day.day),
    }
    return TOKEN.sub(lambda match: values[match[0]], spec)
