"""Where the words of a text are, and when each would be spoken: plain text helpers.

`tokens` finds the words (the unit captions are made of); `estimated_words` times them by their
length and the pauses after them, stretched over a known length of speech. No speech engine is
needed: a provider that reports its own word timings is believed instead (RenderJob.spoken_words).
"""

import unicodedata

from avatars import catalog

Word = tuple[str, float, float]  # (word, start_s, end_s)

# In the estimate, a pause after punctuation counts as this many characters of speech.
PAUSES = {
    ",": 3,
    ";": 4,
    ":": 4,
    "、": 3,
    "，": 3,
    ".": 7,
    "!": 7,
    "?": 7,
    "。": 7,
    "！": 7,
    "？": 7,
}
_WORD_JOINERS = "'’-‐‑"
_NUMBER_JOINERS = ".,:"


def tokens(text: str) -> list[tuple[int, int]]:
    """Spans of the words in `text`; don't, well-known, l'homme and 3.5 are one word each."""
    spans = []
    start = None
    for i, char in enumerate(text):
        after = text[i + 1] if i + 1 < len(text) else ""
        inside = _is_word_char(char) or (
            start is not None
            and (
                (char in _WORD_JOINERS and _is_word_char(after))
                or (char in _NUMBER_JOINERS and text[i - 1].isdigit() and after.isdigit())
            )
        )
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _is_word_char(char: str) -> bool:
    return bool(char) and unicodedata.category(char)[0] in "LMNS"


def estimated_words(text: str, language: str, duration: float) -> list[Word]:
    """Time each word by its length and the pauses after it, stretched over `duration`."""
    spans = tokens(text)
    if not spans:
        return []
    weights = []
    for index, (a, b) in enumerate(spans):
        following = text[b : spans[index + 1][0] if index + 1 < len(spans) else len(text)]
        pause = max((PAUSES.get(char, 0) for char in following), default=0)
        weights.append((_spoken_length(text[a:b], language), pause))
    total = sum(length + pause for length, pause in weights)
    per_unit = duration / total
    words, at = [], 0.0
    for (a, b), (length, pause) in zip(spans, weights, strict=True):
        words.append((text[a:b], at, at + length * per_unit))
        at += (length + pause) * per_unit
    return words


def _spoken_length(word: str, language: str) -> float:
    """How long a word takes to say, in characters' worth; a number is read out in words."""
    if any(char.isdigit() for char in word):
        return 3.0 * sum(char.isdigit() for char in word)
    if catalog.LANGUAGES.get(language, catalog.LANGUAGES["en-US"]).counts_characters:
        return float(len(word))
    # Every word costs a little more than its letters: the breath between words.
    return len(word) + 1.5
