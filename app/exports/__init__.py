"""Exports: the user's applications as CSV and XLSX, the activity log, the whole account as JSON,
and the live spreadsheet feed. Rows are built once (`rows`, `activity`) and written by one module per
format; every query is owner-scoped through `app.permissions`.
"""
