"""avatars/csv_export.py: rows in, CSV lines or a streamed download out."""

from collections.abc import Iterator

from avatars.csv_export import csv_download, csv_lines, plain_text


def test_each_row_is_one_quoted_line():
    rows = [["a", "b,c"], ['say "hi"', "two\nlines"]]

    assert list(csv_lines(rows)) == ['a,"b,c"\r\n', '"say ""hi""","two\nlines"\r\n']
    assert list(csv_lines([["a", "b"]], line_end="\n")) == ["a,b\n"]


def test_a_download_streams_the_rows_as_they_are_read():
    read: list[int] = []

    def rows() -> Iterator[list[str]]:
        for n in range(3):
            read.append(n)
            yield [str(n), "x"]

    response = csv_download("report-2025-11.csv", rows())

    assert response.streaming and read == []
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report-2025-11.csv"'
    chunks = iter(response.streaming_content)
    assert next(chunks) == b"0,x\r\n" and read == [0]
    assert b"".join(chunks) == b"1,x\r\n2,x\r\n"


def test_free_text_never_runs_as_a_formula():
    assert [plain_text(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert plain_text(None) == ""
    assert plain_text("Ada Lovelace") == "Ada Lovelace"
    assert plain_text(12) == "12"
