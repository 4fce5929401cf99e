"""Uploaded lists of people (CSV, TSV, Excel's Unicode text, XLSX) read into one plain table.

A campaign import builds on this: it gets the header and one SheetRow per person, numbered as
the uploader's spreadsheet numbers its rows, or a SpreadsheetError whose message tells the
uploader what is wrong with the file and what to do about it. Nothing here knows what the
columns mean, and limits come in as arguments.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import openpyxl  # type: ignore[import-untyped]
from charset_normalizer import from_bytes

from avatars import sniff


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table, with a message for the person who uploaded it."""


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number a spreadsheet shows: header = 1, first data row = 2
    values: dict[str, str]  # header (as written in the file, stripped) -> cell text (stripped)


@dataclass(frozen=True)
class Table:
    headers: list[str]  # in file order, stripped
    rows: list[SheetRow]  # data rows that have at least one non-empty cell
    encoding: str  # e.g. "utf-8", "utf-8-sig", "utf-16", "cp1252", or "xlsx"
    delimiter: str  # ",", ";", "\t" (or "" for xlsx)


# An OLE2 compound file: an old .xls, or an .xlsx that Excel encrypted with a password.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
# OpenDocument puts its type, uncompressed, in the zip's first entry.
_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
# UTF-32's little-endian BOM starts with UTF-16's, so it is looked for first.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# How files that no list of people starts with begin (lower-cased, after any BOM or blanks).
# sniff.describe only names them: BMP's "BM" or JSON's "[" could start a real header.
_NEVER_A_TABLE = (
    b"%pdf",
    b"\x89png",
    b"\xff\xd8\xff",
    b"gif8",
    b"\x1f\x8b",
    b"<!doctype html",
    b"<html",
    b"<?xml",
    b"<svg",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Three accented letters in a row: how cp1252 shows a word of Cyrillic, Greek, Arabic, Hebrew
# or CJK, whose every letter is a high byte. Western words mix accents with plain letters.
# (Starting from the Latin-1 letters only makes the search twice as fast.)
_FOREIGN_WORD = re.compile(r"[À-ÖØ-öø-ÿ][À-ÖØ-öø-ÿŠŒŽšœžŸƒ]{2}")
# A symbol between two letters, as cp1250 reads in cp1252: "Za¿ó³æ" for "Zażółć". Left out are
# what Western text does put there: ’ ‘ ´ (l’été, D´Angelo), · (l·l), – —, soft hyphen, NBSP.
_SYMBOLS = "€‚„…†‡ˆ‰‹“”•˜™›¡-©«¬®-³¶¸¹»-¿×÷"
# (The symbol comes first so that the search skips ahead to it: letters are everywhere.)
_SYMBOL_IN_WORD = re.compile(rf"[{_SYMBOLS}](?<=[^\W\d_][{_SYMBOLS}])(?=[^\W\d_])")
# Ties go to the character least likely to appear inside cells.
_DELIMITERS = ("\t", ";", ",")
# Anything but what is left of a spreadsheet saved with nothing in it.
_CONTENT = re.compile(r"[^ \t\r\n,;]")
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 50
_SEPARATORS = re.compile(r"[\s_\-]+")
_SAVE_AS = "In Excel, choose File › Save As and pick “CSV UTF-8” or “Excel Workbook (.xlsx)”"


def read_table(data: bytes, filename: str, *, max_rows: int, max_bytes: int) -> Table:
    """The header and the people of an uploaded CSV, TSV or XLSX file; SpreadsheetError says
    why a file is refused, for the person who uploaded it."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if len(data) > max_bytes:
        raise SpreadsheetError(_too_big(name, len(data), max_bytes))
    if not data or data.isspace():
        raise SpreadsheetError(_empty(name))
    _refuse_other_workbooks(data, name)
    if name.lower().endswith(".xlsx") or data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, name, max_rows)
    text, encoding = _decode(data, name)
    if not _CONTENT.search(text):
        raise SpreadsheetError(_empty(name))
    delimiter = _sniff_delimiter(text)
    headers, rows = _tabulate(_text_records(text, delimiter), name, max_rows, count_all=True)
    return Table(headers, rows, encoding, delimiter)


# Refusals before reading


def _refuse_other_workbooks(data: bytes, name: str) -> None:
    if data.startswith(_OLE_MAGIC):
        if name.lower().endswith(".xlsx"):
            raise SpreadsheetError(
                f"“{name}” is protected with a password, so it cannot be read. In Excel, "
                "remove the password (File › Info › Protect Workbook › Encrypt with Password), "
                "save, and upload it again."
            )
        raise SpreadsheetError(
            f"“{name}” is an old-style Excel workbook (.xls), which cannot be read here. "
            f"{_SAVE_AS}, then upload that file."
        )
    if data.startswith(_ZIP_MAGIC) and _ODS_MIMETYPE in data[:100]:
        raise SpreadsheetError(
            f"“{name}” is an OpenDocument spreadsheet (.ods), which cannot be read here. "
            "Save it as “Excel 2007-365 (.xlsx)” or as CSV (UTF-8), then upload that file."
        )


def _looks_like(data: bytes) -> str | None:
    """What the file looks like instead of a table, if its first bytes tell."""
    what = sniff.describe(data[: sniff.HEAD_BYTES])
    return None if what == "a plain text file" else what


def _not_a_table(data: bytes, name: str) -> SpreadsheetError:
    what = _looks_like(data)
    looks = f"it looks like {what}" if what else "it holds binary data, not text"
    return SpreadsheetError(
        f"“{name}” is not a spreadsheet: {looks}. Export the list of people as CSV or as an "
        "Excel workbook (.xlsx) and upload that."
    )


# XLSX


def _read_xlsx(data: bytes, name: str, max_rows: int) -> Table:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # A damaged file makes openpyxl fail in many ways (zipfile, XML, KeyError, its own errors).
    except Exception as error:
        raise _unopenable(data, name) from error
    try:
        sheet = workbook.active
        if not hasattr(sheet, "iter_rows"):  # a chart sheet, or no sheet at all
            sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SpreadsheetError(_empty(name))
        # The stored dimensions may be missing or wrong; without them every row is read.
        sheet.reset_dimensions()
        records = _xlsx_records(sheet.iter_rows(values_only=True), data, name)
        headers, rows = _tabulate(records, name, max_rows, count_all=False)
    finally:
        workbook.close()
    return Table(headers, rows, "xlsx", "")


def _xlsx_records(
    rows: Iterator[tuple[object, ...]], data: bytes, name: str
) -> Iterator[list[str]]:
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # damaged sheet XML or zip entry, found while streaming
            raise _unopenable(data, name) from error
        yield [_cell_text(value) for value in values]


def _unopenable(data: bytes, name: str) -> SpreadsheetError:
    if not name.lower().endswith(".xlsx"):
        return _not_a_table(data, name)  # a zip archive renamed to .csv, say
    what = _looks_like(data)
    looks = f" (it looks like {what})" if what and not data.startswith(_ZIP_MAGIC) else ""
    return SpreadsheetError(
        f"“{name}” could not be opened as an Excel workbook{looks}. It may be damaged or not "
        f"really an Excel file: open it in Excel and save it again. {_SAVE_AS}."
    )


def _cell_text(value: object) -> str:
    """A cell as the uploader reads it, whatever type Excel stored it as."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec=_timespec(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat(timespec=_timespec(value))
    return str(value).strip()


def _number(value: float) -> str:
    # Excel keeps 15 significant digits, so a whole number past them is shown, not spelled out.
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")


def _timespec(value: datetime.datetime | datetime.time) -> str:
    return "seconds" if value.second or value.microsecond else "minutes"


# Text


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of the file and the encoding it was read with."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(_NEVER_A_TABLE):
        raise _not_a_table(data, name)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise _not_a_table(data, name) from None
            if "\x00" in text:
                raise _not_a_table(data, name)
            return text, encoding
    if b"\x00" in data:
        raise _not_a_table(data, name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    western = _as_cp1252(data)
    if western is not None:
        return western, "cp1252"
    best = from_bytes(data).best()
    if best is None:
        if _looks_like(data):
            raise _not_a_table(data, name)
        raise SpreadsheetError(
            f"“{name}” is not in a text encoding that can be recognised. {_SAVE_AS}, then upload "
            "that file."
        )
    return str(best), codecs.lookup(best.encoding).name


def _as_cp1252(data: bytes) -> str | None:
    """The text, if the file reads as Windows-1252 without signs of being something else.

    Excel on Western Windows saves "CSV" in cp1252. charset_normalizer cannot tell it from the
    other Latin code pages in a few short rows (it answers cp1250, cp775, even cp1006), and its
    measure of mess rates long cp1252 files with curly quotes and € worse than cp775. cp1252
    leaves five bytes undefined and maps none to C1 controls, so a strict decode rules out much;
    what remains is refused when its non-ASCII characters look like mojibake: more than one odd
    spot for every twenty of them.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    accented = len(text) - len(text.encode("ascii", "ignore"))
    odd = len(_FOREIGN_WORD.findall(text)) + len(_SYMBOL_IN_WORD.findall(text))
    return text if odd * 20 <= accented else None


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into rows as wide as the header."""
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > len(sample)
    best, best_fit = ",", (0.0, 1)
    for delimiter in _DELIMITERS:
        fit = _fit(sample, delimiter, truncated)
        if fit > best_fit:
            best, best_fit = delimiter, fit
    return best


def _fit(sample: str, delimiter: str, truncated: bool) -> tuple[float, int]:
    """The share of rows as wide as the header, then the header's width."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, skipinitialspace=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        return (0.0, 0)
    if truncated and len(records) > 1:
        records.pop()  # it may be cut off mid-record
    if not records or len(records[0]) < 2:
        return (0.0, 0)
    header, *rows = records
    if not rows:
        return (1.0, len(header))
    alike = sum(len(row) == len(header) for row in rows)
    return (alike / len(rows), len(header))


def _text_records(text: str, delimiter: str) -> Iterator[list[str]]:
    """Each record's stripped cells; a quoted line break stays inside its record, as "\\n"."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    number = 0
    cells: list[str] = []
    try:
        for record in reader:
            number += 1
            cells = [cell.strip() for cell in record]
            yield cells
    except csv.Error as error:
        raise _unclosed_quote(number + 1) from error
    # The csv module reads an unclosed quote to the end of the file without complaint.
    if cells and "\n" in cells[-1] and not text[-100:].rstrip().endswith('"'):
        raise _unclosed_quote(number)


def _unclosed_quote(number: int) -> SpreadsheetError:
    return SpreadsheetError(
        f'Row {number} could not be read: a cell starts with a quote mark (") that is never '
        "closed, so the rest of the file runs into it. Close the quote or remove it, and "
        "upload the file again."
    )


# Header and rows, whatever the format


@dataclass(frozen=True)
class _Header:
    number: int
    names: list[str]
    positions: list[int]  # of the named columns
    unnamed: list[int]  # columns before the last named one that have no name
    width: int  # up to the last named column: empty header cells after it are ignored

    def values(self, number: int, cells: list[str]) -> dict[str, str]:
        if len(cells) > self.width and any(cells[self.width :]):
            raise SpreadsheetError(self._too_wide(number, cells))
        for position in self.unnamed:
            if position < len(cells) and cells[position]:
                raise SpreadsheetError(
                    f"Column {_column(position)} has no name in the header row, but row "
                    f"{number} has {_quoted(cells[position])} in it. Type a name for the column "
                    f"in row {self.number}, or delete the column."
                )
        if self.unnamed:
            return {
                name: cells[position] if position < len(cells) else ""
                for position, name in zip(self.positions, self.names, strict=True)
            }
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        return dict(zip(self.names, cells, strict=False))

    def _too_wide(self, number: int, cells: list[str]) -> str:
        width = max(i for i, cell in enumerate(cells) if cell) + 1
        last = width - 1
        return (
            f"Row {number} has {width} cells but the header names {self.width} columns "
            f"(column {_column(last)} holds {_quoted(cells[last])}). Give the column a name in "
            f"row {self.number}, or remove what is beyond column {_column(self.width - 1)}: "
            "in a CSV file, a comma in a cell needs quotes around the cell."
        )


def _tabulate(
    records: Iterable[list[str]], name: str, max_rows: int, *, count_all: bool
) -> tuple[list[str], list[SheetRow]]:
    """The header names and the rows of people; `count_all` reads past `max_rows` to say how
    many rows there are."""
    numbered = enumerate(records, start=1)
    header = next((_read_header(n, cells) for n, cells in numbered if any(cells)), None)
    if header is None:
        raise SpreadsheetError(_empty(name))
    rows: list[SheetRow] = []
    for number, cells in numbered:
        if not any(cells):
            continue
        if len(rows) == max_rows:
            total = None
            if count_all:
                total = len(rows) + 1 + sum(1 for _, rest in numbered if any(rest))
            raise SpreadsheetError(_too_many(name, max_rows, total))
        rows.append(SheetRow(number, header.values(number, cells)))
    if not rows:
        raise SpreadsheetError(
            f"“{name}” has a header row but no people in it. Add one row per person under the "
            "header, and upload it again."
        )
    return header.names, rows


def _read_header(number: int, cells: list[str]) -> _Header:
    width = max(i for i, cell in enumerate(cells) if cell) + 1
    positions = [i for i in range(width) if cells[i]]
    unnamed = [i for i in range(width) if not cells[i]]
    names = [cells[i] for i in positions]
    seen: dict[str, int] = {}
    for position in positions:
        key = _SEPARATORS.sub("", cells[position]).casefold()
        if key in seen:
            first = seen[key]
            raise SpreadsheetError(
                f"The header row names one column twice: {_quoted(cells[first])} (column "
                f"{_column(first)}) and {_quoted(cells[position])} (column {_column(position)}). "
                "Names count as the same regardless of capitals, spaces, “_” and “-”; rename "
                "or delete one of them."
            )
        seen[key] = position
    return _Header(number, names, positions, unnamed, width)


# Messages


def _empty(name: str) -> str:
    return (
        f"“{name}” is empty. Upload a spreadsheet with a header row naming the columns and one "
        "row per person."
    )


def _too_big(name: str, size: int, limit: int) -> str:
    if limit < 10**6:
        unit, symbol = 1000, "KB"
    elif limit % 2**20 == 0:
        unit, symbol = 2**20, "MB"
    else:
        unit, symbol = 10**6, "MB"
    # Rounded up, so that a file just over the limit does not read as being at it.
    shown = math.ceil(size * 10 / unit) / 10
    return (
        f"“{name}” is {shown:g} {symbol}; the limit is {limit / unit:g} {symbol}. Split the list "
        "into smaller files, or remove columns that the videos do not need."
    )


def _too_many(name: str, max_rows: int, total: int | None) -> str:
    counted = f"{total:,} rows" if total is not None else f"more than {max_rows:,} rows"
    return (
        f"“{name}” has {counted}; a campaign takes at most {max_rows:,}. Split it into files "
        f"of at most {max_rows:,} rows and make a campaign for each."
    )


def _quoted(value: str) -> str:
    flat = " ".join(value.split())
    return f"“{flat[:39]}…”" if len(flat) > 40 else f"“{flat}”"


def _column(position: int) -> str:
    """A zero-based column position as a spreadsheet names it: 0 → A, 26 → AA."""
    letters = ""
    number = position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
