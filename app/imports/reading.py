"""Reading an uploaded spreadsheet as a stream of rows: CSV (any common encoding and delimiter) or XLSX.

A CSV is streamed: nothing holds more than one of its rows at a time (plus a small sample for sniffing),
and `rows()` can be started again. A workbook is decoded once per `Source` and its rows kept (bounded by
`XlsxLimits.cells` and the row limit): openpyxl re-parses the archive, shared strings and styles on every
opening, which cost more than the whole plan of a row, and a preview reads the file three times.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from time import monotonic
from typing import Any
from xml.etree.ElementTree import ParseError

from app.imports.errors import ImportFileError
from app.imports.xlsx_links import Links, sheet_links

SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other old Office files)
# openpyxl holds a workbook's shared strings in memory: refuse archives that expand beyond this (zip bombs).
XLSX_MAX_EXPANDED = 300 * 1024 * 1024
# A header and a few lines above it come on top of the data rows a file may hold.
ROWS_ABOVE_DATA = 100
# A shared string (<si>) and a cell format (<xf>) in any part of the archive, with or without a prefix.
SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
STYLE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:xf|font|fill|border|numFmt|dxf)[\s/>]")
SCAN_CHUNK = 1024 * 1024
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class XlsxLimits:
    """What one workbook may make the reader do: openpyxl holds every shared string and style in
    memory and reads them before any row, so a tiny file of a million unused ones costs minutes."""

    shared_strings: int = 200_000
    cells: int = 2_000_000
    styles: int = 20_000
    seconds: float = 20.0


@dataclass
class Source:
    """An opened spreadsheet: its format and sheets, and how its text was decoded."""

    data: bytes
    file_format: str  # "csv" or "xlsx"
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    max_columns: int = 200
    # Rows of the sheet, blank ones included: a file of millions of empty lines is refused early too.
    max_rows: int | None = None
    xlsx_limits: XlsxLimits = field(default_factory=XlsxLimits)
    workbook: Any = field(default=None, repr=False)  # the workbook `open_source` opened, until first read
    _decoded: list[list[Any]] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[list[Any]]:
        """Every row of the chosen sheet, cells as read (trailing empty cells trimmed)."""
        if self.file_format != "xlsx":
            return self._checked(self._csv_rows())
        if self._decoded is None:
            self._decoded = list(self._checked(self._xlsx_rows()))
        return iter(self._decoded)

    def head(self, sheet: str, count: int) -> list[list[Any]]:
        """The first `count` rows of another sheet of the workbook, cells cleaned (to choose the sheet)."""
        workbook = self.workbook or _open_workbook(self.data)
        try:
            worksheet = workbook[sheet]
            worksheet.reset_dimensions()
            return [[_clean(value) for value in row] for row in worksheet.iter_rows(max_row=count, values_only=True)]
        finally:
            if workbook is not self.workbook:
                workbook.close()

    def _checked(self, raw: Iterator[Any]) -> Iterator[list[Any]]:
        for number, row in enumerate(raw, start=1):
            if self.max_rows is not None and number > self.max_rows:
                raise ImportFileError(
                    413,
                    f"The file has more than {self.max_rows} rows (blank ones count too): split it into parts.",
                )
            cells = [_clean(value) for value in row]
            while cells and cells[-1] is None:
                cells.pop()
            if len(cells) > self.max_columns:
                raise ImportFileError(
                    413, f"Row {number} has {len(cells)} columns; at most {self.max_columns} are accepted."
                )
            yield cells

    def _csv_rows(self) -> Iterator[list[str]]:
        text = io.TextIOWrapper(io.BytesIO(self.data), encoding=self.encoding, newline="")
        reader = csv.reader(text, delimiter=self.delimiter or ",")
        try:
            yield from reader
        except csv.Error as exc:
            raise ImportFileError(400, f"The CSV file cannot be read near line {reader.line_num}: {exc}.") from exc
        except UnicodeDecodeError as exc:
            raise ImportFileError(400, f"The file is not valid {self.encoding} text.") from exc

    def _xlsx_rows(self) -> Iterator[tuple[Any, ...]]:
        limits = self.xlsx_limits
        deadline = monotonic() + limits.seconds
        workbook, self.workbook = self.workbook or _open_workbook(self.data), None
        cells = 0
        try:
            worksheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            # The stored dimension is the file's word: a forged "A1:XFD1048576" would pad every row.
            worksheet.reset_dimensions()
            links = _links_of(workbook, worksheet)
            for number, row in enumerate(worksheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
                cells += len(row)
                if cells > limits.cells:
                    raise ImportFileError(
                        413, f"The workbook has more than {limits.cells} cells; it cannot be imported."
                    )
                if monotonic() > deadline:
                    raise ImportFileError(
                        413, f"The workbook takes more than {limits.seconds:g} s to read; save a smaller one or a CSV."
                    )
                if links and any((number, column) in links for column in range(len(row))):
                    row = tuple(_linked(value, links.get((number, column))) for column, value in enumerate(row))
                yield row
        finally:
            workbook.close()


@dataclass(frozen=True)
class LinkedCell:
    """A cell that links somewhere: the text it shows and the URL it opens (a hyperlink or HYPERLINK())."""

    text: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "url": self.url}


def _links_of(workbook: Any, worksheet: Any) -> Links:
    """The sheet's linked cells, read from the archive openpyxl already holds open."""
    archive, path = getattr(workbook, "_archive", None), getattr(worksheet, "_worksheet_path", None)
    if archive is None or not path:
        return {}
    try:
        return sheet_links(archive, path)
    except (ParseError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ImportFileError(400, "The XLSX workbook is damaged and cannot be read.") from exc


def _linked(value: Any, link: tuple[str, str | None] | None) -> Any:
    if link is None:
        return value
    url, formula_text = link
    shown = value if value is not None else formula_text if formula_text is not None else url
    text = _text_of(shown)
    return LinkedCell(text or url, url)


def _text_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value).strip()


def open_source(
    data: bytes,
    sheet: str | None = None,
    *,
    max_columns: int = 200,
    max_rows: int | None = None,
    xlsx_limits: XlsxLimits | None = None,
) -> Source:
    """Recognise the file by its content (never its name) and prepare to stream its rows.

    `max_rows` counts data rows; blank rows count too, and a few rows above the header are allowed.
    """
    sheet_rows = max_rows + ROWS_ABOVE_DATA if max_rows is not None else None
    xlsx_limits = xlsx_limits or XlsxLimits()
    if not data.strip():
        raise ImportFileError(400, "The file is empty.")
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(
            400, "Old Excel (.xls) files are not supported: save the sheet as .xlsx or CSV and upload that."
        )
    if data.startswith(XLSX_MAGIC):
        return _open_xlsx(data, sheet, max_columns, sheet_rows, xlsx_limits)
    encoding = detect_encoding(data)
    sample = _decoded_sample(data, encoding)
    if _looks_binary(sample):
        raise ImportFileError(400, "The file is not a spreadsheet: upload a CSV or XLSX file.")
    delimiter = sniff_delimiter(sample)
    return Source(data, "csv", encoding=encoding, delimiter=delimiter, max_columns=max_columns, max_rows=sheet_rows)


def _open_workbook(data: bytes) -> Any:
    from openpyxl import load_workbook

    try:
        # read_only streams rows; data_only reads the values formulas last computed to, not the formulas.
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(
            400, "The file is a ZIP archive but not a readable XLSX workbook (is it a .docx, or damaged?)."
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged workbooks
        raise ImportFileError(400, "The XLSX workbook is damaged and cannot be read.") from exc


def _check_archive(data: bytes, limits: XlsxLimits) -> None:
    """Refuse, before openpyxl reads anything, a workbook that expands too far or holds more shared
    strings or styles than the limits (counted in every part: their names are the file's choice)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            items = archive.infolist()
            if sum(item.file_size for item in items) > XLSX_MAX_EXPANDED:
                raise ImportFileError(413, "The workbook expands to more data than can be imported.")
            strings = styles = 0
            for item in items:
                part_strings, part_styles = _count_tags(archive, item)
                strings, styles = strings + part_strings, styles + part_styles
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(400, "The file is a ZIP archive but not a readable XLSX workbook.") from exc
    if strings > limits.shared_strings:
        raise ImportFileError(
            413, f"The workbook holds more than {limits.shared_strings} shared strings; it cannot be imported."
        )
    if styles > limits.styles:
        raise ImportFileError(413, f"The workbook holds more than {limits.styles} cell styles; it cannot be imported.")


def _count_tags(archive: zipfile.ZipFile, item: zipfile.ZipInfo) -> tuple[int, int]:
    strings = styles = 0
    tail = b""
    with archive.open(item) as part:
        while chunk := part.read(SCAN_CHUNK):
            # A tag cut by the chunk boundary is found in the next round (tags are short; a tag wholly
            # inside the kept tail was counted already and cannot match from its start twice).
            window = tail + chunk
            start = len(tail)
            strings += sum(1 for m in SHARED_STRING_TAG.finditer(window) if m.end() > start)
            styles += sum(1 for m in STYLE_TAG.finditer(window) if m.end() > start)
            tail = window[-64:]
    return strings, styles


def _open_xlsx(data: bytes, sheet: str | None, max_columns: int, max_rows: int | None, limits: XlsxLimits) -> Source:
    _check_archive(data, limits)
    workbook = _open_workbook(data)  # kept open for the first read of the rows: opening costs a full parse
    names = list(workbook.sheetnames)
    if not names or (sheet is not None and sheet not in names):
        workbook.close()
    if not names:
        raise ImportFileError(400, "The workbook has no sheets.")
    if sheet is not None and sheet not in names:
        raise ImportFileError(400, f"The workbook has no sheet {sheet!r}; its sheets are: {', '.join(names)}.")
    return Source(
        data,
        "xlsx",
        sheets=names,
        sheet=sheet or names[0],
        max_columns=max_columns,
        max_rows=max_rows,
        xlsx_limits=limits,
        workbook=workbook,
    )


def detect_encoding(data: bytes) -> str:
    """BOM first; then UTF-8 if the bytes are valid UTF-8; UTF-16 without BOM; else Windows-1252.

    Windows-1252 is what Excel writes as "CSV" on Western Windows; a file it cannot decode (it leaves
    five bytes undefined) is handed to charset-normalizer for a best guess.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    head = data[:SNIFF_BYTES]
    if head.count(b"\x00") > len(head) // 4:
        # ASCII text in UTF-16 has a NUL in every other byte: odd positions for little-endian.
        odd = head[1::2].count(b"\x00")
        return "utf-16-le" if odd > head[0::2].count(b"\x00") else "utf-16-be"
    if _decodes(data, "utf-8"):
        return "utf-8"
    if _decodes(data, "cp1252"):
        return "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise ImportFileError(400, "The file is not a spreadsheet: its text encoding cannot be recognised.")
    return best.encoding


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether all of `data` decodes, chunk by chunk (no full copy of a large file as text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), SNIFF_BYTES):
            decoder.decode(data[start : start + SNIFF_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decoded_sample(data: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[:SNIFF_BYTES])


def _looks_binary(sample: str) -> bool:
    controls = sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n")
    return "\x00" in sample or controls > len(sample) // 100 or sample.count("\ufffd") > len(sample) // 20


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the most, most consistent, columns.

    Each candidate is tried with the real CSV parser (so quoted delimiters and quoted newlines count
    right); csv.Sniffer guesses wrongly too often on short or irregular files.
    """
    lines = sample.splitlines(keepends=True)
    if len(sample) >= SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last line of a truncated sample is cut short
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [
                len(row)
                for row, _ in zip(csv.reader(lines, delimiter=delimiter), range(50), strict=False)
                if any(cell.strip() for cell in row)
            ]
        except csv.Error:
            continue
        if not widths:
            continue
        width, seen = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (seen / len(widths), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _clean(value: Any) -> Any:
    """A cell as a JSON-friendly value: text stripped (blank is None), dates as dates, numbers kept."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip().replace("\x00", "")
        return value or None
    if isinstance(value, LinkedCell):
        return LinkedCell(value.text.replace("\x00", ""), value.url.replace("\x00", ""))
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, date | time | bool | int | float):
        return value
    return str(value)


def to_json(value: Any) -> Any:
    """A cell for storage in JSON: dates and times as ISO text."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, LinkedCell):
        return value.to_json()
    return value
