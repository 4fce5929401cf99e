"""Captions for script renders, as WebVTT.

A render whose provider reported when each word was spoken (RenderJob.spoken_words: the offline
draft's own speech) is timed by those words; any other by the script's speech estimate — each
word's share of the reading, with pauses at punctuation — stretched to the video's length
(avatars/word_timing.py).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from avatars.word_timing import Word, estimated_words, tokens

if TYPE_CHECKING:
    from avatars.models import RenderJob

# One cue stays readable: at most two lines of this many characters, shown at most this long.
LINE_CHARS = 42
CUE_MAX_SECONDS = 5.0
# A cue shorter than this flickers past; it borrows time from the gap after it.
CUE_MIN_SECONDS = 0.7
SENTENCE_ENDS = ".!?。！？"


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def for_job(job: "RenderJob", duration: float) -> str:
    """The WebVTT captions of a finished render, or "" when its words are not known."""
    if job.audio_clip_id or not job.text.strip() or duration <= 0:
        return ""
    words = spoken_words(job.spoken_words, duration)
    if not words:
        revision = job.script_revision
        language = revision.language if revision else "en-US"
        words = estimated_words(job.text, language, duration)
    return to_webvtt(cues(job.text, words, duration))


def spoken_words(reported: list[Any], duration: float) -> list[Word]:
    """The words as the provider timed them, squeezed inside `duration` should they overrun it."""
    words = [(str(word), float(start), float(end)) for word, start, end in reported]
    last = max((end for _, _, end in words), default=0.0)
    scale = min(1.0, duration / last) if last > 0 else 1.0
    return [(word, start * scale, end * scale) for word, start, end in words]


def cues(text: str, words: list[Word], duration: float) -> list[Cue]:
    """Group timed words into readable cues, with the script's own punctuation."""
    spans = tokens(text)
    if len(spans) != len(words):
        # Timings from another tokenisation cannot be matched to the text: no punctuation then.
        spans = []
    groups: list[list[int]] = []
    for index in range(len(words)):
        if not groups or _full(groups[-1], index, text, spans, words):
            groups.append([])
        groups[-1].append(index)
    result = []
    for number, group in enumerate(groups):
        first, last = group[0], group[-1]
        start = min(words[first][1], duration)
        end = min(max(words[last][2], start), duration)
        next_start = words[groups[number + 1][0]][1] if number + 1 < len(groups) else duration
        if end - start < CUE_MIN_SECONDS:
            end = min(start + CUE_MIN_SECONDS, max(next_start, end), duration)
        if end <= start:
            continue
        result.append(Cue(round(start, 3), round(end, 3), _cue_text(text, spans, words, group)))
    return result


def _full(group: list[int], index: int, text: str, spans: list, words: list[Word]) -> bool:
    """Whether word `index` starts a new cue after the words of `group`."""
    previous = group[-1]
    if spans:
        between = text[spans[previous][1] : spans[index][0]]
        if any(char in SENTENCE_ENDS for char in between) or "\n" in between:
            return True
    candidate = _cue_text(text, spans, words, [*group, index])
    too_long = len(candidate) > 2 * LINE_CHARS
    too_slow = words[index][2] - words[group[0]][1] > CUE_MAX_SECONDS
    return too_long or too_slow


def _cue_text(text: str, spans: list, words: list[Word], group: list[int]) -> str:
    if spans:
        a, b = spans[group[0]][0], spans[group[-1]][1]
        # Keep the punctuation that closes the last word ("clearly." rather than "clearly").
        while b < len(text) and not text[b].isspace() and not tokens(text[b]):
            b += 1
        line = " ".join(text[a:b].split())
    else:
        line = " ".join(words[i][0] for i in group)
    return _two_lines(line)


def _two_lines(line: str) -> str:
    """Break a long cue at the space nearest its middle."""
    if len(line) <= LINE_CHARS or " " not in line:
        return line
    middle = len(line) // 2
    spaces = [i for i, char in enumerate(line) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return f"{line[:cut]}\n{line[cut + 1 :]}"


def to_webvtt(cue_list: list[Cue]) -> str:
    blocks = ["WEBVTT", ""]
    for number, cue in enumerate(cue_list, start=1):
        blocks += [
            str(number),
            f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}",
            _escape(cue.text),
            "",
        ]
    return "\n".join(blocks)


def parse_webvtt(vtt: str) -> list[Cue]:
    """The cues of a WebVTT file we wrote (for checks and tests)."""
    found = []
    for block in vtt.strip().split("\n\n")[1:]:
        lines = block.splitlines()
        timing = next(i for i, line in enumerate(lines) if "-->" in line)
        start, end = (part.strip() for part in lines[timing].split("-->"))
        body = "\n".join(lines[timing + 1 :])
        unescaped = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        found.append(Cue(_seconds(start), _seconds(end), unescaped))
    return found


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def _seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def _escape(text: str) -> str:
    # A cue's text is markup: "<" would start a tag and "&" an entity.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
