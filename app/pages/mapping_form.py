"""The wizard's mapping form, both ways: the choices each drop-down offers, and a submitted form as the
changes `service.change_options` takes (the same body the API's PATCH takes, so the same rules apply).

A column's drop-down offers every field, and for "the date a stage was reached" one entry per stage
(`stage_date:Interviewing`), so each column needs one control. Only what the user changed is sent: a
column left as proposed keeps its proposal and its confidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.imports.columns import FIELDS, stages
from app.pages.forms import FORM

STAGE_DATE = "stage_date"


def column_value(column: Mapping[str, Any]) -> str:
    """A column's choice as its drop-down's value: `company`, or `stage_date:Interviewing`."""
    if column["field"] == STAGE_DATE:
        return f"{STAGE_DATE}:{column['stage']}"
    return column["field"]


def field_choices(column: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(value, label) of every choice for `column`, its own stage included when it is not a known one."""
    known = stages()
    column_stages = list(known)
    if column["field"] == STAGE_DATE and column["stage"] not in known:
        column_stages.append(column["stage"])
    choices = []
    for name, (description, _, _) in FIELDS.items():
        if name == STAGE_DATE:
            choices += [(f"{STAGE_DATE}:{stage}", f"Date it reached {stage}") for stage in column_stages]
        else:
            choices.append((name, description))
    return choices


def stage_choices(current: str | None) -> list[str]:
    """The stages a status word can mean, the word's current one included when it is the user's own."""
    known = stages()
    return known if current is None or current in known else [*known, current]


def changes_from_form(form: Mapping[str, str], options: Mapping[str, Any], statuses: list[dict[str, Any]]) -> dict:
    """What the submitted form changes in the stored `options` (empty when nothing changed).

    A new sheet or header row is another table: its columns are found afresh, so that change goes alone
    (the columns shown were the old table's). Values are passed on as text: the service validates them.
    """
    sheet = form.get("sheet")
    if sheet is not None and sheet != (options.get("sheet") or ""):
        return {"sheet": sheet}
    header_row = (form.get("header_row") or "").strip()
    if header_row and header_row != str(options.get("header_row")):
        return {"header_row": header_row}
    changes: dict[str, Any] = {}
    mapping = {
        column["header"]: form[f"field-{column['index']}"]
        for column in options.get("columns", [])
        if form.get(f"field-{column['index']}") not in (None, "", column_value(column))
    }
    if mapping:
        changes["mapping"] = mapping
    status_mapping = {}
    for number, status in enumerate(statuses):
        chosen = form.get(f"stage-{number}")
        if chosen and form.get(f"word-{number}") == status["word"] and chosen != status["stage"]:
            status_mapping[status["word"]] = chosen
    if status_mapping:
        changes["status_mapping"] = status_mapping
    date_order = form.get("date_order")
    if date_order and date_order != options.get("date_order"):
        changes["date_order"] = date_order
    return changes


def field_errors(messages: Any, options: Mapping[str, Any], statuses: list[dict[str, Any]]) -> dict[str, list[str]]:
    """A validation error's messages keyed by the form control they belong to (`field-3`, `stage-0`,
    `header_row`...); what belongs to no control is under FORM."""
    if not isinstance(messages, dict):
        return {FORM: _texts(messages)}
    by_header = {column["header"]: f"field-{column['index']}" for column in options.get("columns", [])}
    by_word = {status["word"]: f"stage-{number}" for number, status in enumerate(statuses)}
    errors: dict[str, list[str]] = {}
    for key, value in messages.items():
        if key == "mapping" and isinstance(value, dict):
            for header, texts in value.items():
                errors.setdefault(by_header.get(header, FORM), []).extend(_texts(texts))
        elif key == "status_mapping" and isinstance(value, dict):
            for word, texts in value.items():
                errors.setdefault(by_word.get(word, FORM), []).extend(_texts(texts))
        elif key in ("sheet", "header_row", "date_order"):
            errors.setdefault(key, []).extend(_texts(value))
        else:
            errors.setdefault(FORM, []).extend(_texts(value))
    return errors


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for inner in value.values() for text in _texts(inner)]
    if isinstance(value, list):
        return [text for inner in value for text in _texts(inner)]
    return [str(value)]
