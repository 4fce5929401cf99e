"""What a file most likely is, judged from its first bytes: for refusal messages only.

Decoders decide whether a file is acceptable; this only names what it looks like instead,
so that people read "it looks like a PDF document" rather than a decoder's error.
"""

HEAD_BYTES = 1024

_HTML = "an HTML web page"
_JSON = "a JSON document"
_TEXT_STARTS = [
    (b"<!doctype html", _HTML),
    (b"<html", _HTML),
    (b"<?xml", "an XML document"),
    (b"<svg", "an SVG drawing"),
    (b"{", _JSON),
    (b"[", _JSON),
    (b"#extm3u", "an HLS playlist (a list of links, not the file itself)"),
]
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"ID3", "an MP3 sound recording"),
    (b"fLaC", "a FLAC sound recording"),
    (b"OggS", "an Ogg file"),
]
_RIFF = {
    b"WAVE": "a WAV sound recording",
    b"WEBP": "a WebP image",
    b"AVI ": "an AVI video",
}
# MP4-family files start with an "ftyp" box naming their brand.
_FTYP_BRANDS = {
    b"heic": "a HEIC photo",
    b"heix": "a HEIC photo",
    b"mif1": "a HEIF image",
    b"avif": "an AVIF image",
    b"M4A ": "an M4A sound recording",
}
MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"


def is_video_container(head: bytes) -> bool:
    """MP4/MOV (an ftyp box of a video brand) or Matroska/WebM."""
    return (head[4:8] == b"ftyp" and head[8:12] not in _FTYP_BRANDS) or head.startswith(
        MATROSKA_MAGIC
    )


def describe(head: bytes) -> str | None:
    """ "a PDF document", "an HTML web page"…; None for video containers and the unknown."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for start, what in _TEXT_STARTS:
        if text.startswith(start):
            return what
    if text.startswith(b"<") and b"<html" in text:
        return _HTML
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF"):
        return _RIFF.get(head[8:12], "a RIFF file")
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    if head.startswith(MATROSKA_MAGIC):
        return None
    # Binary containers have zero bytes in their first few; text files have none.
    if b"\x00" not in head:
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "a plain text file"
    return None
