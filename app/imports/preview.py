"""The preview of a batch: one pass over the whole file, nothing written.

Counts and problems cover every row; only the first rows (IMPORT_PREVIEW_ROWS) are kept as they
would be created, and only the first IMPORT_MAX_PROBLEMS problems are listed, so the preview stays
small whatever the size of the file.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.imports.columns import FIELDS, Column, stages
from app.imports.existing import ExistingIndex
from app.imports.matching import company_key
from app.imports.planning import plan_rows
from app.imports.reading import Source
from app.imports.statuses import STATUS_MAX_LENGTH, mapped_stage, stage_for
from app.models import User

SAMPLES = 3


def build_preview(
    source: Source, options: dict[str, Any], user: User, limits: dict[str, int]
) -> tuple[dict[str, Any], dict[str, int], dict[str, Any]]:
    """(preview, counts, options with the full status-word mapping) for `source` read with `options`."""
    index = ExistingIndex(user)
    counts = {"rows": 0, "create": 0, "update": 0, "unchanged": 0, "skip": 0, "problems": 0, "new_companies": 0}
    problems: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    words: Counter[str] = Counter()
    new_companies: set[str] = set()
    columns = [Column(**column) for column in options["columns"]]
    samples: list[list[Any]] = [[] for _ in columns]
    for plan in plan_rows(source, options, limits["rows"]):
        action, _ = index.action(plan)
        counts["rows"] += 1
        counts[action] += 1
        counts["problems"] += len(plan.problems)
        problems.extend(plan.problems[: max(0, limits["problems"] - len(problems))])
        if plan.status_word:
            words[plan.status_word] += 1
        if action == "create" and company_key(plan.values["company"]) not in index.companies:
            new_companies.add(company_key(plan.values["company"]))
        for position, value in enumerate(plan.raw[: len(samples)]):
            if value is not None and len(samples[position]) < SAMPLES:
                samples[position].append(value)
        if len(rows) < limits["preview_rows"]:
            rows.append({"row": plan.row_number, "action": action, "values": plan.values, "problems": plan.problems})
    counts["new_companies"] = len(new_companies)
    user_mapping = options.get("status_mapping") or {}
    statuses = []
    for word, count in words.most_common():
        guessed, confidence = stage_for(word)
        stage = mapped_stage(word, user_mapping)
        statuses.append(
            {
                "word": word,
                "count": count,
                "status": word[:STATUS_MAX_LENGTH],  # what the application shows: the user's own word
                "stage": stage,  # what it means, kept beside it
                "confidence": 1.0 if stage != guessed else confidence,
                "known": stage is not None,
            }
        )
    guesses = {s["word"]: s["stage"] for s in statuses if s["stage"]}
    options = {**options, "status_mapping": {**guesses, **user_mapping}}
    preview = {
        "file": {
            "format": source.file_format,
            "encoding": source.encoding,
            "delimiter": source.delimiter,
            "sheets": source.sheets,
            "sheet": source.sheet,
        },
        "header_row": options["header_row"],
        "date_order": options["date_order"],
        "columns": [{**column.to_json(), "samples": samples[column.index]} for column in columns],
        "statuses": statuses,
        "rows": rows,
        "problems": problems,
        "problems_truncated": counts["problems"] > len(problems),
        "warnings": _warnings(columns),
        "fields": {name: description for name, (description, _, _) in FIELDS.items()},
        "stages": stages(),
    }
    return preview, counts, options


ROW_FILTERS = ("problems", "create", "update", "unchanged", "skip")


def preview_rows(
    source: Source,
    options: dict[str, Any],
    user: User,
    limits: dict[str, int],
    show: str | None,
    offset: int,
    size: int,
) -> tuple[int, list[dict[str, Any]]]:
    """(how many rows match `show`, the `size` of them from `offset`) over the whole file, as they would be
    written: `show` is "problems" (rows with a problem), an action (create, update, unchanged, skip) or None."""
    index = ExistingIndex(user)
    count, rows = 0, []
    for plan in plan_rows(source, options, limits["rows"]):
        action, _ = index.action(plan)
        if (show == "problems" and not plan.problems) or (show not in (None, "problems") and action != show):
            continue
        if offset <= count < offset + size:
            rows.append(
                {
                    "row": plan.row_number,
                    "action": action,
                    "values": plan.values,
                    "problems": plan.problems,
                    "raw": plan.raw,
                }
            )
        count += 1
    return count, rows


def _warnings(columns: list[Column]) -> list[str]:
    mapped = {column.field for column in columns}
    warnings = []
    if "company" not in mapped and "position_title" not in mapped:
        warnings.append("No column holds the company or the position: map at least one before committing.")
    elif "company" not in mapped:
        warnings.append("No column holds the company: every row would go under 'Unknown company'.")
    elif "position_title" not in mapped:
        warnings.append("No column holds the position: every row would be an 'Unknown position'.")
    return warnings
