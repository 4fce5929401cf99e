"""Offline speech for the sandbox provider: espeak-ng through ctypes, with word timings.

espeak-ng keeps global state and is not thread-safe, so one lock guards initialisation and every
synthesis. It sounds robotic; it exists so drafts render without a network or an API key.
"""

import bisect
import ctypes
import functools
import itertools
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import cast

import espeakng_loader
import numpy as np
import pykakasi

from avatars.word_timing import tokens

# Our language codes to espeak-ng voice names (espeak-ng-data/lang/...).
VOICES: dict[str, str] = {
    "en-US": "en-us",
    "en-GB": "en-gb-x-rp",
    "es": "es",
    "fr": "fr",
    "de": "de",
    "it": "it",
    "pt-BR": "pt-br",
    "ja": "ja",
    "ko": "ko",
    "hi": "hi",
}
VARIANTS: dict[str, str] = {"female": "f3", "male": "m3"}
RATE_WPM_RANGE = (80, 450)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
# Without this espeak-ng calls exit() when its data is missing, taking the worker down with it.
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_END = 5
_EVENT_PHONEME = 7


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    words: list[tuple[str, float, float]]  # (word, start_s, end_s) in spoken order
    phonemes: list[tuple[str, float]] = field(default_factory=list)  # (IPA, start_s)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class _Capture:
    chunks: list[np.ndarray] = field(default_factory=list)
    # (type, text_position, length, audio_position_ms, phoneme)
    events: list[tuple[int, int, int, int, str]] = field(default_factory=list)


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_sample_rate = 0
_capture = _Capture()


def _on_audio(
    wav: "ctypes._Pointer[ctypes.c_short]", count: int, events: "ctypes._Pointer[_Event]"
) -> int:
    if count > 0:
        _capture.chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
    i = 0
    while events[i].type != _EVENT_LIST_TERMINATED:
        event = events[i]
        phoneme = ""
        if event.type == _EVENT_PHONEME:
            phoneme = event.id.string.decode("utf-8", "ignore")
        _capture.events.append(
            (event.type, event.text_position, event.length, event.audio_position, phoneme)
        )
        i += 1
    return 0


# Module-level so ctypes never frees the trampoline while espeak-ng still holds it.
_callback = _SynthCallback(_on_audio)


def _load() -> ctypes.CDLL:
    global _lib, _sample_rate
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA | _INITIALIZE_DONT_EXIT
    rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), options
    )
    if rate <= 0:
        raise RuntimeError(f"espeak-ng failed to initialise (code {rate})")
    lib.espeak_SetSynthCallback(_callback)
    _lib, _sample_rate = lib, rate
    return lib


def synthesize(text: str, language: str, gender: str = "female", rate_wpm: int = 165) -> Speech:
    """Speak `text` with espeak-ng.

    Raises ValueError for empty text, an unknown language or gender, a rate outside 80–450 words
    per minute, or text that produces no sound.
    """
    if not text.strip():
        raise ValueError("There is no text to speak.")
    if language not in VOICES:
        raise ValueError(f"No offline voice for language {language!r}.")
    if gender not in VARIANTS:
        raise ValueError(f"Gender must be one of {sorted(VARIANTS)}, not {gender!r}.")
    if not RATE_WPM_RANGE[0] <= rate_wpm <= RATE_WPM_RANGE[1]:
        raise ValueError(f"rate_wpm must be within {RATE_WPM_RANGE}, not {rate_wpm}.")
    # espeak-ng reads up to the first NUL; a space keeps every character position unchanged.
    text = text.replace("\0", " ")
    written, text = text, readable(text, language)
    voice = f"{VOICES[language]}+{VARIANTS[gender]}"
    with _lock:
        lib = _load()
        _capture.chunks.clear()
        _capture.events.clear()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
        buffer = ctypes.create_string_buffer(text.encode())
        status = lib.espeak_Synth(
            buffer, len(buffer), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if status != 0:
            raise RuntimeError(f"espeak-ng failed to synthesise (code {status})")
        chunks, events = list(_capture.chunks), list(_capture.events)
        sample_rate = _sample_rate
    if not chunks:
        raise ValueError("The text produced no speech.")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return Speech(
        samples=samples,
        sample_rate=sample_rate,
        words=_as_written(_words(text, events, samples, sample_rate), written),
        phonemes=[
            (name, ms / 1000)
            for kind, _, _, ms, name in events
            if kind == _EVENT_PHONEME and name and not name.startswith("(")
        ],
    )


def _words(
    text: str,
    events: list[tuple[int, int, int, int, str]],
    samples: np.ndarray,
    sample_rate: int,
) -> list[tuple[str, float, float]]:
    """Time every word of `text`, taking starts from espeak-ng's word events where there are some.

    espeak-ng skips the event for some words (Korean ones after a clause or run into their
    neighbour), so a word without one shares its neighbour's span in proportion to its length.
    """
    duration = len(samples) / sample_rate
    spans = tokens(text)
    word_events = sorted(
        (pos - 1, ms / 1000) for kind, pos, _, ms, _ in events if kind == _EVENT_WORD
    )
    clauses = sorted((pos - 1, ms / 1000) for kind, pos, _, ms, _ in events if kind == _EVENT_END)
    word_positions = [p for p, _ in word_events]
    clause_positions = [p for p, _ in clauses]

    def clause_end_after(index: int, later_than: float) -> float:
        following = itertools.islice(clauses, bisect.bisect_left(clause_positions, index), None)
        return next((t for _, t in following if t > later_than), duration)

    starts: list[float | None] = []
    for a, b in spans:
        k = bisect.bisect_left(word_positions, a)
        starts.append(word_events[k][1] if k < len(word_events) and word_events[k][0] < b else None)

    i = 0
    while i < len(spans):
        if starts[i] is not None:
            i += 1
            continue
        j = i
        while j < len(spans) and starts[j] is None:
            j += 1
        previous_end = spans[i - 1][1] if i else 0
        inside = bisect.bisect_right(clause_positions, spans[i][0])
        if inside and clauses[inside - 1][0] >= previous_end:
            first, low = i, clauses[inside - 1][1]
        elif i:
            # Set above: every word before i has a start by now.
            first, low = i - 1, cast(float, starts[i - 1])
        else:
            first, low = i, 0.0
        high = clause_end_after(spans[j - 1][1], low)
        if j < len(spans):
            high = min(high, cast(float, starts[j]))
        lengths = np.array([b - a for a, b in spans[first:j]], dtype=float)
        offsets = np.concatenate([[0.0], np.cumsum(lengths)[:-1]]) / lengths.sum()
        for k, offset in zip(range(first, j), offsets, strict=True):
            starts[k] = low + max(high - low, 0.0) * float(offset)
        i = j

    timed = [float(t) for t in np.maximum.accumulate(np.array(starts, dtype=float))]
    loud = _loud_hops(samples, sample_rate)
    words = []
    for k, ((a, b), start) in enumerate(zip(spans, timed, strict=True)):
        limit = min(timed[k + 1] if k + 1 < len(timed) else duration, clause_end_after(b, start))
        words.append((text[a:b], start, _trim_silence(loud, start, max(limit, start))))
    return words


def readable(text: str, language: str) -> str:
    """The text as espeak-ng can read it: Japanese kanji spelled out in hiragana.

    espeak-ng reads kana but says "Chinese letter" for every kanji; pykakasi's dictionary
    knows their readings.
    """
    if language != "ja" or not any(unicodedata.name(c, "").startswith("CJK") for c in text):
        return text
    return "".join(part["hira"] or part["orig"] for part in _kakasi().convert(text))


_kakasi_lock = threading.Lock()


@functools.cache
def _kakasi_instance() -> pykakasi.kakasi:
    return pykakasi.kakasi()


def _kakasi() -> pykakasi.kakasi:
    # Loading its dictionaries takes a second; do it once, and not twice at the same time.
    with _kakasi_lock:
        return _kakasi_instance()


def _as_written(words: list[tuple[str, float, float]], text: str) -> list[tuple[str, float, float]]:
    """Name the timed words as the text spells them, when it was read out in another spelling."""
    spans = tokens(text)
    if len(spans) != len(words):
        return words
    return [(text[a:b], start, end) for (a, b), (_, start, end) in zip(spans, words, strict=True)]


_HOP_S = 0.01


def _loud_hops(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Whether each 10 ms hop of the audio is louder than the pauses between words."""
    hop = int(sample_rate * _HOP_S)
    count = -(-len(samples) // hop)
    padded = np.zeros(count * hop, dtype=np.float32)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(count, hop) ** 2, axis=1))
    return rms > max(float(rms.max()) * 0.05, 1e-4)


def _trim_silence(loud: np.ndarray, start: float, limit: float) -> float:
    """The end of the last loud hop before `limit`: the word ends where its sound does."""
    first, last = round(start / _HOP_S), round(limit / _HOP_S)
    heard = np.flatnonzero(loud[first:last])
    if not len(heard):
        return limit
    return min(limit, float(first + heard[-1] + 1) * _HOP_S)
