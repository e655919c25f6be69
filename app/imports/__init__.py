"""Spreadsheet import: preview, column mapping, dry run, idempotent re-import, undo.

reading (CSV/XLSX as rows) -> columns/options (header and mapping) -> planning (what each row
writes, with dates and statuses) -> preview (nothing written) or writer (bulk writes) -> undo.
`service` ties them together for the views (`routes`) and the CLI (`cli`).
"""
