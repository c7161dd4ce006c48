"""Rows of an Excel workbook (.xlsx), for the tabular harvester.

The first row of the sheet is the header; cells are read as the text a
person sees (dates as ISO dates, whole numbers without ".0"). The workbook is
a zip of XML parts: its unpacked size is checked against a cap before
openpyxl reads it (read-only, streaming; defusedxml guards the XML).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

from .base import SourceError

# Unpacked XML is typically 5-10x the zipped file; more than this is a bomb.
UNPACKED_RATIO = 40


def xlsx_rows(body: bytes, sheet: str | None, max_bytes: int) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of one sheet (the first one unless named)."""
    import openpyxl  # only sources that use XLSX pay for the import

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise SourceError(f"not an XLSX workbook (not a zip file: {exc})") from None
    cap = max(max_bytes, len(body) * UNPACKED_RATIO)
    if unpacked > cap:
        raise SourceError(f"XLSX workbook unpacks to {unpacked} bytes, over the cap of {cap} bytes")
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise SourceError(f"unreadable XLSX workbook: {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceError(f"XLSX workbook has no sheet {sheet!r}; sheets: {book.sheetnames}")
        values = (book[sheet] if sheet is not None else book.worksheets[0]).iter_rows(values_only=True)
        header = [_text(v) for v in next(values, ())]
        while header and not header[-1]:  # trailing empty header cells: formatting, not columns
            header.pop()
        if not any(header):
            raise SourceError("XLSX sheet has no header row")
        rows = []
        for cells in values:
            row = [_text(v) for v in cells[: len(header)]]
            if any(row):  # blank rows are no rows, as in CSV
                rows.append(row)
    finally:
        book.close()
    return header, rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
