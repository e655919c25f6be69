"""How a file writes its dates, decided from every value of every date column (one streaming pass).

The date order ("dmy" or "mdy") is settled, in this order, by: the user's choice; any value that reads
one way only (a first part over 12 is a day: 16/03/2025); dates written with dots (16.03.2025, which
day-first countries write); headers in a language whose countries write the day first. A file whose
dates read both ways and that nothing settles is "ambiguous": month first is used, and the preview
says so with the choice shown. The same pass finds the file's `year_reference`, the middle of its
dates that have a year, from which a date written without one (`Oct 12`) takes its year.

It runs again whenever the mapping changes, since the date columns are then others. Once a thousand rows
have settled the order beyond doubt (values that read one way only, none the other), the pass stops:
the rest could only add to the same side. The pass also finds how each date column writes its dates
(`date_formats.column_format`), which an export laid out like the file writes them in.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from app.imports.columns import Column, header_language
from app.imports.date_formats import FORMAT_MAX_LENGTH, column_format
from app.imports.dates import date_order_evidence, is_dotted, is_yearless, parse_date
from app.imports.reading import LinkedCell, Source

DATE_FIELDS = ("status_date", "stage_date")
DEFAULT_ORDER = "mdy"
REFERENCE_SAMPLE = 10_001  # dates kept to find the middle one (a sample of a huge file is as good)
SETTLED_AFTER = 1000  # rows read before a settled order stops the pass
FORMAT_SAMPLE = 200  # text dates per column read to find how the column writes them


def _settled(votes: Counter[str], dotted: int) -> bool:
    """Whether the values read settle the order beyond doubt: some read one way only, none the other."""
    return bool(votes["dmy"]) != bool(votes["mdy"]) or (dotted and not votes["mdy"])


def decide_dates(source: Source, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(options with `date_order` and `year_reference` decided, the report the preview shows)."""
    columns = [Column(**column) for column in options["columns"]]
    indexes = [column.index for column in columns if column.field in DATE_FIELDS]
    votes: Counter[str] = Counter()
    dotted = 0
    examples: dict[str, str] = {}
    full_dates: list[date] = []
    texts: dict[int, list[str]] = {index: [] for index in indexes}  # how each column writes its dates
    celled: set[int] = set()  # columns holding real date cells
    if indexes:
        for number, cells in enumerate(source.rows(), start=1):
            if number <= options["header_row"]:
                continue
            if number > options["header_row"] + SETTLED_AFTER and _settled(votes, dotted):
                break  # the order is settled and the year reference sampled: the rest cannot change them
            for index in indexes:
                value = cells[index] if index < len(cells) else None
                if value is None:
                    continue
                if isinstance(value, LinkedCell):
                    value = value.text
                if not isinstance(value, str):
                    celled.add(index)  # real date cells: the column has no text format of its own
                elif len(texts[index]) < FORMAT_SAMPLE:
                    texts[index].append(value)
                vote = date_order_evidence(value)
                if vote:
                    votes[vote] += 1
                    examples.setdefault(vote, value)
                dotted += is_dotted(value)
                if len(full_dates) < REFERENCE_SAMPLE:
                    parsed = parse_date(value, "mdy")  # either order gives the same year
                    if parsed is not None and not is_yearless(parsed):
                        full_dates.append(parsed)
    language = header_language([column.header for column in columns])
    order, basis = _order(options, votes, dotted, language)
    ambiguous = basis == "default" and votes["either"] > 0
    report = {
        "date_order": order,
        "decided_by": basis,
        "ambiguous": ambiguous,
        "evidence": {"day_first": votes["dmy"], "month_first": votes["mdy"], "either": votes["either"]},
        "message": _message(order, basis, votes, examples, language),
    }
    full_dates.sort()
    reference = full_dates[len(full_dates) // 2].isoformat() if full_dates else None
    formats = {
        column.header: found
        for column in columns
        if column.index in texts
        and column.index not in celled
        and (found := column_format(texts[column.index], order)) is not None
        and len(found) <= FORMAT_MAX_LENGTH
    }
    return {**options, "date_order": order, "year_reference": reference, "date_formats": formats}, report


def _order(options: dict[str, Any], votes: Counter[str], dotted: int, language: str | None) -> tuple[str, str]:
    if options.get("date_order_chosen") and options.get("date_order"):
        return options["date_order"], "chosen"
    if votes["dmy"] or votes["mdy"]:
        return ("dmy" if votes["dmy"] >= votes["mdy"] else "mdy"), "values"
    if dotted:
        return "dmy", "separators"
    if language is not None:
        return "dmy", "headers"
    return DEFAULT_ORDER, "default"


def _message(order: str, basis: str, votes: Counter[str], examples: dict[str, str], language: str | None) -> str:
    name = "day first (dmy)" if order == "dmy" else "month first (mdy)"
    if basis == "chosen":
        return f"Dates are read {name}, as chosen."
    if basis == "values":
        example = examples.get(order, "")
        conflict = votes["mdy" if order == "dmy" else "dmy"]
        text = f"Dates are read {name}: {example!r} can only be read that way."
        if conflict:
            text += f" {conflict} other value(s) read only the other way: check them."
        return text
    if basis == "separators":
        return f"Dates are read {name}: they are written with dots (16.03.2025), as day-first countries do."
    if basis == "headers":
        return f"Dates are read {name}: the headers are in a language ({language}) whose countries write the day first."
    if votes["either"]:
        return (
            f"The dates are ambiguous: {examples['either']!r} reads either way and nothing in the file settles it. "
            f"They are read {name}; choose date_order if that is wrong."
        )
    return f"No date in the file depends on the order; {name} would be used."
