"""The links an XLSX sheet's cells carry, which openpyxl's streaming (read-only) reader does not expose.

A cell links somewhere in two ways: a hyperlink (the sheet's `<hyperlinks>` element names the cell,
its relationship the target) or a `HYPERLINK("url", "text")` formula. Both are found in one streaming
pass over the sheet's XML (elements are cleared as they are read), so a large sheet costs no memory;
a sheet that mentions neither is not parsed at all.
"""

from __future__ import annotations

import re
import zipfile
from posixpath import dirname, join
from typing import IO
from xml.etree.ElementTree import iterparse

from openpyxl.utils.cell import range_boundaries

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
HYPERLINK_FORMULA = re.compile(r'^\s*=?\s*HYPERLINK\(\s*"((?:[^"]|"")*)"\s*(?:[,;]\s*"((?:[^"]|"")*)")?', re.I)
CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
SCAN_CHUNK = 1024 * 1024
MAX_RANGE_CELLS = 10_000  # a hyperlink over a huge range (A1:XFD1048576) is not expanded cell by cell

# SAFE_XML: ElementTree never resolves external entities, and the expat it runs on (2.4.1 and later) refuses
# entity amplification ("billion laughs"); openpyxl reads the same file with the same parser.
Links = dict[tuple[int, int], tuple[str, str | None]]  # (row, 0-based column) -> (url, text the formula gives)


def formula_link(formula: str) -> tuple[str, str | None] | None:
    """(url, text) of a `HYPERLINK("url", "text")` formula whose target is written out, else None."""
    match = HYPERLINK_FORMULA.match(formula)
    if match is None or not match[1].strip():
        return None
    text = match[2].replace('""', '"') if match[2] is not None else None
    return match[1].replace('""', '"').strip(), text


def sheet_links(archive: zipfile.ZipFile, sheet_path: str) -> Links:
    """Every linked cell of the sheet stored at `sheet_path` in the workbook's archive."""
    sheet_path = sheet_path.lstrip("/")
    if not _mentions_links(archive, sheet_path):
        return {}
    targets = _relationship_targets(archive, sheet_path)
    links: Links = {}
    with archive.open(sheet_path) as source:
        for _, element in iterparse(source, events=("end",)):  # noqa: S314 (see SAFE_XML)
            tag = element.tag
            if tag == f"{MAIN}c":
                formula = element.find(f"{MAIN}f")
                if formula is not None and formula.text and "HYPERLINK" in formula.text.upper():
                    found = formula_link(formula.text)
                    position = _position(element.get("r", ""))
                    if found and position:
                        links[position] = found
                element.clear()
            elif tag == f"{MAIN}row":
                element.clear()
            elif tag == f"{MAIN}hyperlink":
                url = targets.get(element.get(f"{REL}id", ""))
                if url:
                    for position in _cells(element.get("ref", "")):
                        links.setdefault(position, (url, None))
    return links


def _mentions_links(archive: zipfile.ZipFile, sheet_path: str) -> bool:
    """Whether the sheet's XML mentions a hyperlink at all (a scan by chunks, far cheaper than parsing)."""
    try:
        source: IO[bytes] = archive.open(sheet_path)
    except KeyError:
        return False
    with source:
        tail = b""
        while chunk := source.read(SCAN_CHUNK):
            window = (tail + chunk).upper()
            if b"HYPERLINK" in window:
                return True
            tail = chunk[-16:]
    return False


def _relationship_targets(archive: zipfile.ZipFile, sheet_path: str) -> dict[str, str]:
    """The sheet's external relationship targets by id (hyperlink targets are among them)."""
    rels_path = join(dirname(sheet_path), "_rels", sheet_path.rsplit("/", 1)[-1] + ".rels")
    try:
        source = archive.open(rels_path)
    except KeyError:
        return {}
    targets = {}
    with source:
        for _, element in iterparse(source, events=("end",)):  # noqa: S314 (see SAFE_XML)
            tag, kind = element.tag, element.get("Type", "")
            # External: a URL, not a place inside the workbook.
            if (
                tag == f"{PACKAGE_REL}Relationship"
                and kind.endswith("/hyperlink")
                and element.get("TargetMode") == "External"
            ):
                targets[element.get("Id", "")] = element.get("Target", "").strip()
    return targets


def _position(ref: str) -> tuple[int, int] | None:
    match = CELL_REF.match(ref.upper())
    if match is None:
        return None
    min_col, min_row, _, _ = range_boundaries(ref.upper())
    return min_row, min_col - 1


def _cells(ref: str) -> list[tuple[int, int]]:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.upper())
    except (ValueError, TypeError):
        return []
    if None in (min_col, min_row, max_col, max_row):
        return []
    if (max_col - min_col + 1) * (max_row - min_row + 1) > MAX_RANGE_CELLS:
        return [(min_row, min_col - 1)]
    return [(row, col - 1) for row in range(min_row, max_row + 1) for col in range(min_col, max_col + 1)]
