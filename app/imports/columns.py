"""Finding the header row and proposing, for each column, the field it holds and how sure we are.

The mapping is a list of `Column`s, one per column of the sheet, in the sheet's order; it is stored
on the batch (see `app/imports/options.py`) and can be changed by the user before committing.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from app.imports.dates import looks_like_date
from app.imports.statuses import STAGES, stage_for
from app.imports.vocabulary import DATE_WORDS as OTHER_DATE_WORDS
from app.imports.vocabulary import HEADERS, LANGUAGES
from app.imports.words import fold, normalize_words

HEADER_SEARCH_ROWS = 20

# field -> (what it is, whether several columns may feed it, header words that name it)
FIELDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "company": (
        "Company name",
        False,
        (
            "company",
            "company name",
            "employer",
            "organisation",
            "organization",
            "firm",
            "business",
            "companies",
            "employer name",
        ),
    ),
    "position_title": (
        "Position title",
        False,
        (
            "position",
            "title",
            "job title",
            "role",
            "job",
            "position title",
            "job position",
            "opening",
            "job role",
            "role title",
            "vacancy",
        ),
    ),
    "status": (
        "Current status",
        False,
        (
            "status",
            "stage",
            "state",
            "current status",
            "application status",
            "progress",
            "current stage",
            "outcome",
            "result",
        ),
    ),
    "status_date": (
        "Date of the current status",
        False,
        (
            "date",
            "status date",
            "last updated",
            "updated",
            "date updated",
            "last update",
            "last contact",
            "last activity",
            "when",
        ),
    ),
    "stage_date": ("Date the application reached a stage", True, ()),
    "job_url": (
        "Job posting URL",
        False,
        (
            "url",
            "link",
            "job url",
            "job link",
            "posting",
            "job posting",
            "posting url",
            "listing",
            "listing url",
            "job ad",
            "application link",
            "posting link",
            "job listing",
        ),
    ),
    "job_source": (
        "Where the job was found",
        False,
        (
            "source",
            "job source",
            "found on",
            "found via",
            "found",
            "platform",
            "job board",
            "board",
            "via",
            "channel",
            "where found",
            "site",
            "website found",
        ),
    ),
    "company_url": (
        "Company website (for new companies)",
        False,
        (
            "company website",
            "company url",
            "website",
            "homepage",
            "home page",
            "company site",
            "company homepage",
            "company link",
        ),
    ),
    "location": (
        "Location",
        True,
        ("location", "city", "place", "office", "locations", "job location", "work location", "where", "remote"),
    ),
    "notes": (
        "Notes",
        True,
        ("notes", "note", "comments", "comment", "remarks", "details", "next steps", "interview notes", "memo"),
    ),
    "job_description": (
        "Job description",
        False,
        ("job description", "description", "jd", "job details", "responsibilities"),
    ),
    "labels": ("Labels", True, ("labels", "label", "tags", "tag", "categories", "category", "priority")),
    "salary": (
        "Salary",
        True,
        (
            "salary",
            "pay",
            "compensation",
            "salary range",
            "min salary",
            "max salary",
            "rate",
            "wage",
            "comp",
            "expected salary",
            "salary expectation",
        ),
    ),
    "contact": (
        "Contact",
        True,
        (
            "contact",
            "contact person",
            "recruiter",
            "hiring manager",
            "email",
            "contact email",
            "contact name",
            "referrer",
            "referral",
            "recruiter email",
            "contacts",
            "phone",
        ),
    ),
    "extra": ("Kept as is (in the application's extra data)", True, ()),
    "ignore": ("Not imported (the source row still keeps it)", True, ()),
}
SINGLE_FIELDS = frozenset(name for name, (_, many, _) in FIELDS.items() if not many)
DATE_WORDS = frozenset({"date", "dates", "on", "when", "day", "of", "at", "the"}) | OTHER_DATE_WORDS
# Headers that usually, not always, name a field: Notion's title column `Name` holds the company.
WEAK: dict[str, str] = {
    "name": "company",
    "title": "position_title",
    **dict.fromkeys(("created", "created at", "created on", "date created", "creation date"), "stage_date"),
}
_ENGLISH = {fold(word): name for name, (_, _, words) in FIELDS.items() for word in words}
_OTHER = {fold(word): name for name, languages in HEADERS.items() for words in languages.values() for word in words}
_EXACT = {**_OTHER, **_ENGLISH}
_SYNONYMS = sorted(_EXACT.items(), key=lambda item: -len(item[0]))
_LANGUAGE_OF = {
    fold(word): language
    for languages in HEADERS.values()
    for language, words in languages.items()
    if language in LANGUAGES
    for word in words
    if fold(word) not in _ENGLISH
}
FUZZY_HEADER_CUTOFF = 0.85
URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")  # "companyName", "appliedDate", "JobTitle" (Huntr, JobSync)


def header_text(header: str) -> str:
    """A header as compared with the vocabularies: camel case split into words, then `fold`ed."""
    return fold(CAMEL_CASE.sub(" ", header))


@dataclass
class Column:
    """One column of the sheet and what it maps to."""

    index: int
    letter: str
    header: str
    field: str
    stage: str | None = None
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def normalize_header(text: str) -> str:
    """A header compared as words; `job_url` is "job url" too."""
    return normalize_words(text.replace("_", " "))


def _header_score(cells: Sequence[Any]) -> int:
    texts = [header_text(cell) for cell in cells if isinstance(cell, str)]
    return sum(1 for text in texts if text in _EXACT or _stage_from_header(text) or _contained(text))


def header_strength(rows: Sequence[Sequence[Any]]) -> int:
    """How many known fields the likeliest header among the first rows names (0: no header at all)."""
    return max((_header_score(row) for row in rows[:HEADER_SEARCH_ROWS]), default=0)


def header_language(headers: Sequence[str]) -> str | None:
    """The language (of `vocabulary.LANGUAGES`) most of the headers are in, if any is not English."""
    votes = Counter(_LANGUAGE_OF[text] for text in map(header_text, headers) if text in _LANGUAGE_OF)
    return votes.most_common(1)[0][0] if votes else None


def find_header(head: list[tuple[int, list[Any]]]) -> tuple[int, list[str]]:
    """The header's (last) row number and the column names, from the first non-blank rows.

    The header is the early row naming the most known fields (a title row above it is skipped).
    A second header row under it (merged group cells above sub-headers) is joined to it: merged cells
    read as a value in their first cell and blanks after, so a group name is carried over the blanks.
    """
    candidates = [(number, cells) for number, cells in head[:HEADER_SEARCH_ROWS] if any(c is not None for c in cells)]
    if not candidates:
        return 0, []
    scored = [(_header_score(cells), -position) for position, (_, cells) in enumerate(candidates)]
    best = max(range(len(candidates)), key=lambda i: scored[i])
    if scored[best][0] == 0:
        wide = [i for i, (_, cells) in enumerate(candidates) if sum(c is not None for c in cells) >= 2]
        best = wide[0] if wide else 0
    number, cells = candidates[best]
    names = list(cells)
    following = dict(head).get(number + 1)
    if following is not None and _is_sub_header(cells, following):
        names = _join_headers(cells, following)
        number += 1
    return number, unique_names(names)


def _is_sub_header(top: list[Any], below: list[Any]) -> bool:
    width = max(len(top), len(below))
    top = top + [None] * (width - len(top))
    below = below + [None] * (width - len(below))
    filled = [value for value in below if value is not None]
    if not filled or not all(isinstance(value, str) and not looks_like_date(value) for value in filled):
        return False
    fills_blank = any(t is None and b is not None for t, b in zip(top, below, strict=True))
    leaves_blank = any(t is not None and b is None for t, b in zip(top, below, strict=True))
    return fills_blank and leaves_blank


def _join_headers(top: list[Any], below: list[Any]) -> list[Any]:
    width = max(len(top), len(below))
    top = top + [None] * (width - len(top))
    below = below + [None] * (width - len(below))
    names, group = [], None
    for upper, lower in zip(top, below, strict=True):
        if upper is not None:
            group = upper
            names.append(f"{upper} {lower}" if lower is not None else upper)
        elif lower is not None:
            names.append(f"{group} {lower}" if group is not None else lower)
        else:
            group = None
            names.append(None)
    return names


def unique_names(cells: list[Any]) -> list[str]:
    names, seen = [], {}
    for index, cell in enumerate(cells):
        name = str(cell).strip() if cell is not None else ""
        name = " ".join(name.split()) or f"Column {get_column_letter(index + 1)}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _stage_from_header(text: str) -> tuple[str, bool] | None:
    """The stage a header names, and whether it also says "date" ("Date applied", "Interview on")."""
    tokens = text.split()
    # German and Dutch write "date of" into one word: Bewerbungsdatum, Sollicitatiedatum, Interviewdatum.
    compounds = [token.removesuffix("datum").removesuffix("s") for token in tokens if token.endswith("datum")]
    rest = [token for token in tokens if token not in DATE_WORDS and not token.endswith("datum")]
    if compounds and not rest:
        rest, tokens = [c for c in compounds if c], [*tokens, "datum"]
    if not rest:
        return None
    stage, confidence = stage_for(" ".join(rest))
    if stage is None or confidence < 0.85:
        return None
    return stage, len(rest) < len(tokens)


def _contained(text: str) -> str | None:
    padded = f" {text} "
    for word, name in _SYNONYMS:
        if f" {word} " in padded:
            return name
    return None


def guess_column(header: str, samples: list[Any]) -> tuple[str, str | None, float]:
    """(field, stage, confidence) for one column, from its header first and its values second."""
    text = header_text(header)
    share_dates = _share(samples, looks_like_date)
    if text in _EXACT:
        return _EXACT[text], None, 1.0
    if text in WEAK and WEAK[text] != "stage_date":
        return WEAK[text], None, 0.6
    staged = _stage_from_header(text)
    if staged is not None:
        stage, says_date = staged
        if says_date or share_dates >= 0.6:
            return "stage_date", stage, 0.9 if says_date else 0.8
    contained = _contained(text)
    if contained is not None:
        return contained, None, 0.7
    if len(text) >= 5:
        close = difflib.get_close_matches(text, _EXACT, n=1, cutoff=FUZZY_HEADER_CUTOFF)
        if close:  # a misspelt header: "Compnay", "Postion"
            return _EXACT[close[0]], None, 0.6
    if text in WEAK and share_dates >= 0.6:
        return "stage_date", "Target", 0.5  # "Created" holding dates: when the job was saved
    if samples:
        if _share(samples, lambda v: isinstance(v, str) and URL.match(v) is not None) >= 0.8:
            return "job_url", None, 0.5
        if _share(samples, lambda v: isinstance(v, str) and stage_for(v)[0] is not None) >= 0.6:
            return "status", None, 0.5
    return "extra", None, 0.0


def _share(samples: list[Any], test: Any) -> float:
    return sum(1 for value in samples if test(value)) / len(samples) if samples else 0.0


def propose_columns(headers: list[str], samples: list[list[Any]]) -> list[Column]:
    """A mapping for every column; a field that takes one column goes to the surest candidate."""
    columns = []
    for index, header in enumerate(headers):
        field, stage, confidence = guess_column(header, samples[index] if index < len(samples) else [])
        columns.append(Column(index, get_column_letter(index + 1), header, field, stage, confidence))
    for field in SINGLE_FIELDS:
        claimants = sorted((c for c in columns if c.field == field), key=lambda c: (-c.confidence, c.index))
        for loser in claimants[1:]:
            loser.field, loser.stage, loser.confidence = "extra", None, 0.0
    return columns


def stages() -> list[str]:
    """The known stages, in pipeline order."""
    return list(STAGES)
