"""Real spreadsheet files made on the spot: CSV or TSV in any encoding, Excel's "Unicode text",
and XLSX workbooks written with openpyxl."""

from __future__ import annotations

import codecs
import io
from collections.abc import Sequence

import openpyxl  # type: ignore[import-untyped]

Rows = Sequence[Sequence[object]]
# Codecs that write their own byte order mark.
_SELF_MARKING = {"utf-8-sig", "utf-16", "utf-32"}


def csv_text(rows: Rows, *, delimiter: str = ",", line_end: str = "\r\n") -> str:
    """`rows` as CSV text, as Excel writes it: a cell is quoted when it holds the delimiter, a
    quote or a line break (kept as it is, whatever `line_end` is); None is an empty cell."""
    return "".join(
        delimiter.join(_csv_cell(cell, delimiter) for cell in row) + line_end for row in rows
    )


def _csv_cell(value: object, delimiter: str) -> str:
    # csv.writer would leave "\n" unquoted when records end in "\r" alone.
    text = "" if value is None else str(value)
    if any(special in text for special in (delimiter, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_bytes(
    rows: Rows,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    line_end: str = "\r\n",
    bom: bool = False,
) -> bytes:
    """`rows` as a CSV file in `encoding`; `bom` starts it with the encoding's byte order mark
    (codecs such as "utf-16" and "utf-8-sig" write theirs anyway)."""
    text = csv_text(rows, delimiter=delimiter, line_end=line_end)
    if bom and codecs.lookup(encoding).name not in _SELF_MARKING:
        text = "\ufeff" + text
    return text.encode(encoding)


def excel_unicode_text(rows: Rows) -> bytes:
    """What Excel's "Save As › Unicode Text" writes: UTF-16 LE with its BOM, tabs, CRLF."""
    return csv_bytes(rows, encoding="utf-16-le", delimiter="\t", bom=True)


def xlsx_bytes(
    rows: Rows,
    *,
    title: str = "People",
    formatted_blank_rows: int = 0,
    sheets_before: Sequence[str] = (),
) -> bytes:
    """A workbook whose active sheet holds `rows` from A1 (None leaves a cell out; text that
    starts with "=" is stored as text, as Excel does when it is typed after an apostrophe).

    `formatted_blank_rows` adds styled but empty rows below, as Excel keeps after rows are
    cleared; `sheets_before` adds empty sheets ahead of it, so it is not the first sheet.
    """
    workbook = openpyxl.Workbook()
    first = workbook.active
    for index, name in enumerate(sheets_before):
        (first if index == 0 else workbook.create_sheet()).title = name
    sheet = workbook.create_sheet(title) if sheets_before else first
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            # Values, not formulas: openpyxl would save "=…" as a formula with no result.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for offset in range(formatted_blank_rows):
        for column in range(1, 4):
            sheet.cell(row=len(rows) + 1 + offset, column=column).number_format = "0.00"
    workbook.active = workbook.worksheets.index(sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
