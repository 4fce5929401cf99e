"""The sandbox's offline renderer: espeak-ng speech and the draft talking-head MP4."""

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from avatars.sandbox import speech, video
from avatars.sandbox.face import find_face
from avatars.sandbox.speech import Speech, synthesize
from avatars.sandbox.video import load_audio, render_talking_head
from tests.files import encoded_bytes, image_bytes, tone, wav_bytes

TEN_WORDS = "Welcome to the studio, where every picture learns to speak clearly."
SAMPLES = {
    "en-US": TEN_WORDS,
    "en-GB": "Good morning, and welcome to London.",
    "es": "¿Qué tal, señor? Bienvenidos a nuestro estudio.",
    "fr": "Bonjour à tous, l'équipe est très contente.",
    "de": "Guten Tag, schöne Grüße aus Berlin.",
    "it": "Buongiorno a tutti, come state oggi?",
    "pt-BR": "Olá, tudo bem? Eu estou ótimo.",
    "ja": "こんにちは、みなさん。ようこそ。",
    "ko": "안녕하세요, 만나서 반갑습니다.",
    "hi": "नमस्ते, आप कैसे हैं?",
}
DEMO_PORTRAIT = Path(__file__).resolve().parent.parent / "avatars" / "demo" / "grace-hopper.jpg"


def assert_words_are_timed(spoken: Speech, expected: list[str]) -> None:
    assert [word for word, _, _ in spoken.words] == expected
    starts = [start for _, start, _ in spoken.words]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)
    for _, start, end in spoken.words:
        assert 0 <= start <= end <= spoken.duration


def median_pitch(spoken: Speech) -> float:
    """Median fundamental frequency of the voiced 40 ms frames, by autocorrelation."""
    rate, size = spoken.sample_rate, int(spoken.sample_rate * 0.04)
    frames = [spoken.samples[i : i + size] for i in range(0, len(spoken.samples) - size, size)]
    loudest = max(float(np.sqrt(np.mean(f**2))) for f in frames)
    pitches = []
    for frame in frames:
        if np.sqrt(np.mean(frame**2)) < 0.2 * loudest:
            continue
        centred = frame - frame.mean()
        correlation = np.correlate(centred, centred, "full")[size - 1 :]
        shortest, longest = rate // 400, rate // 60
        pitches.append(rate / (shortest + int(np.argmax(correlation[shortest:longest]))))
    return float(np.median(pitches))


def probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        videos, audios = container.streams.video, container.streams.audio
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return {
            "duration": container.duration / av.time_base,
            "video": [(s.codec_context.name, s.width, s.height, s.format.name) for s in videos],
            "audio": [(s.codec_context.name, s.codec_context.sample_rate) for s in audios],
            "first": frames[0],
            "last": frames[-1],
            "frames": len(frames),
        }


def striped_portrait(size: tuple[int, int] = (600, 800)) -> Image.Image:
    image = Image.new("RGB", size, (70, 110, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 40):
        draw.rectangle((x, 0, x + 19, size[1]), fill=(220, 190, 150))
    return image


@pytest.fixture(scope="module")
def english() -> Speech:
    return synthesize(TEN_WORDS, "en-US")


def test_it_speaks_ten_english_words_in_a_plausible_time(english: Speech):
    assert english.sample_rate == 22050
    assert english.samples.dtype == np.float32
    assert english.samples.ndim == 1
    assert np.abs(english.samples).max() <= 1.0
    assert 2.0 < english.duration < 8.0
    words = "Welcome to the studio where every picture learns to speak clearly"
    assert_words_are_timed(english, words.split())
    assert english.phonemes
    assert all(0 <= at <= english.duration for _, at in english.phonemes)


@pytest.mark.parametrize("language", sorted(speech.VOICES))
def test_it_speaks_every_language_we_offer(language: str):
    spoken = synthesize(SAMPLES[language], language)

    assert spoken.duration > 0.5
    assert np.sqrt(np.mean(spoken.samples**2)) > 0.01
    assert spoken.words


def test_it_times_spanish_and_japanese_words():
    spanish = synthesize(SAMPLES["es"], "es")
    words = ["Qué", "tal", "señor", "Bienvenidos", "a", "nuestro", "estudio"]
    assert_words_are_timed(spanish, words)

    japanese = synthesize(SAMPLES["ja"], "ja")
    assert_words_are_timed(japanese, ["こんにちは", "みなさん", "ようこそ"])
    assert 0.5 < japanese.duration < 6


def test_it_times_the_words_espeak_gives_no_event_for():
    spoken = synthesize("오늘 날씨가 좋네요, 그렇죠? 네 맞아요.", "ko")

    assert_words_are_timed(spoken, ["오늘", "날씨가", "좋네요", "그렇죠", "네", "맞아요"])


def test_female_and_male_voices_differ_in_pitch(english: Speech):
    male = synthesize(TEN_WORDS, "en-US", gender="male")

    assert median_pitch(english) > 1.3 * median_pitch(male)


def test_it_follows_the_speaking_rate():
    slow = synthesize(TEN_WORDS, "en-US", rate_wpm=120)
    fast = synthesize(TEN_WORDS, "en-US", rate_wpm=240)

    assert slow.duration > 1.5 * fast.duration


@pytest.mark.parametrize(
    ("text", "language", "gender", "rate"),
    [
        ("", "en-US", "female", 165),
        ("   \n", "en-US", "female", 165),
        ("Hello", "xx", "female", 165),
        ("Hello", "en-US", "robot", 165),
        ("Hello", "en-US", "female", 20),
    ],
)
def test_it_refuses_what_it_cannot_speak(text: str, language: str, gender: str, rate: int):
    with pytest.raises(ValueError):
        synthesize(text, language, gender, rate)


def test_it_is_safe_to_call_from_several_threads():
    texts = [SAMPLES[code] for code in ("en-US", "es", "de", "ko")] * 2
    languages = ["en-US", "es", "de", "ko"] * 2
    alone = [synthesize(text, code) for text, code in zip(texts, languages, strict=True)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(synthesize, texts, languages))

    # espeak-ng varies its output by a few samples from call to call, so compare the shape of it.
    for one, other in zip(alone, together, strict=True):
        assert [w for w, _, _ in one.words] == [w for w, _, _ in other.words]
        assert abs(one.duration - other.duration) < 0.02 * one.duration


def test_it_renders_a_streamable_720p_mp4(english: Speech, tmp_path: Path):
    out = tmp_path / "draft.mp4"

    duration = render_talking_head(
        image_bytes(), english.samples, english.sample_rate, out, resolution=(1280, 720)
    ).duration

    info = probe(out)
    assert info["video"] == [("h264", 1280, 720, "yuv420p")]
    assert info["audio"] == [("aac", 44100)]
    assert abs(info["duration"] - english.duration) < 0.1
    assert abs(duration - english.duration) < 0.1
    assert abs(info["frames"] / 25 - english.duration) < 0.1
    assert info["first"].shape == info["last"].shape == (720, 1280, 3)
    # Browsers can start playing before the download ends only when the index comes first.
    head = out.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat")


def test_the_video_moves(english: Speech, tmp_path: Path):
    out = tmp_path / "draft.mp4"
    render_talking_head(striped_portrait(), english.samples, english.sample_rate, out)

    info = probe(out)
    assert np.abs(info["first"].astype(int) - info["last"].astype(int)).mean() > 1


def test_it_renders_1080p(tmp_path: Path):
    out = tmp_path / "draft.mp4"
    audio = tone(1.5, 22050)

    duration = render_talking_head(
        image_bytes(), audio, 22050, out, resolution=(1920, 1080)
    ).duration

    info = probe(out)
    assert info["video"] == [("h264", 1920, 1080, "yuv420p")]
    assert abs(info["duration"] - 1.5) < 0.1
    assert abs(duration - 1.5) < 0.1


def test_it_fits_a_tall_portrait_without_distortion(tmp_path: Path):
    portrait = Image.new("RGB", (400, 1000), (40, 170, 60))
    ImageDraw.Draw(portrait).ellipse((50, 350, 350, 650), fill=(250, 250, 250))
    out = tmp_path / "draft.mp4"

    render_talking_head(portrait, tone(1.0, 22050), 22050, out)

    frame = probe(out)["first"].astype(int)
    green = np.abs(frame - (40, 170, 60)).max(axis=2) < 40
    assert green[:, 640].mean() > 0.5
    columns = np.flatnonzero(green.mean(axis=0) > 0.5)
    width = columns[-1] - columns[0] + 1
    assert abs(width / 720 - 0.4) < 0.02
    # The circle stays round: as wide as it is tall.
    white = np.argwhere(frame.min(axis=2) > 220)
    tall, wide = np.ptp(white, axis=0) + 1
    assert abs(wide / tall - 1) < 0.05
    assert abs(tall - 300 * 0.72) < 6


def test_it_opens_the_mouth_only_while_speaking(tmp_path: Path):
    rate = 22050
    audio = np.concatenate([np.zeros(rate, dtype=np.float32), tone(1.0, rate)])
    portrait = Image.open(DEMO_PORTRAIT)
    out = tmp_path / "draft.mp4"

    render_talking_head(portrait, audio, rate, out)

    canvas, placed = video._compose(portrait.convert("RGB"), 1280, 720)
    face = find_face(canvas, placed)
    assert face is not None
    x, y, w, h = face.box
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
    mouth = (slice(y + int(h * 0.72), y + int(h * 0.9)), slice(x + w // 3, x + 2 * w // 3))
    silent, speaking = frames[12][mouth].mean(), frames[37][mouth].mean()
    assert speaking < silent - 10


def test_it_refuses_an_odd_resolution(english: Speech, tmp_path: Path):
    with pytest.raises(ValueError):
        render_talking_head(image_bytes(), english.samples, 22050, tmp_path / "x.mp4", (1279, 720))


def test_it_leaves_no_file_behind_when_the_portrait_is_unreadable(tmp_path: Path):
    out = tmp_path / "draft.mp4"

    with pytest.raises(ValueError):
        render_talking_head(b"not an image", tone(1.0, 22050), 22050, out)

    assert not out.exists()


@pytest.mark.parametrize("kind", ["wav", "mp3", "flac"])
def test_it_loads_audio_as_mono_float(kind: str, tmp_path: Path):
    samples = tone(2.0, 16000)
    data = {
        "wav": lambda: wav_bytes(samples, 16000),
        "mp3": lambda: encoded_bytes(samples, "mp3", "libmp3lame", 16000),
        "flac": lambda: encoded_bytes(samples, "flac", "flac", 16000),
    }[kind]()
    path = tmp_path / f"clip.{kind}"
    path.write_bytes(data)

    for source in (data, path, str(path)):
        loaded, rate = load_audio(source)
        assert rate == 16000
        assert loaded.dtype == np.float32
        assert loaded.ndim == 1
        assert abs(len(loaded) / rate - 2.0) < 0.1
        assert 0.3 < np.abs(loaded).max() <= 1.0


def test_it_downmixes_stereo(tmp_path: Path):
    out = io.BytesIO()
    with av.open(out, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=48000, layout="stereo")
        left = (tone(1.0, 48000) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.stack([left, left]).T.reshape(1, -1).copy(), format="s16", layout="stereo"
        )
        frame.sample_rate = 48000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    loaded, rate = load_audio(out.getvalue())

    assert rate == 48000
    assert loaded.shape == (48000,)


def test_it_refuses_audio_it_cannot_decode():
    with pytest.raises(ValueError):
        load_audio(b"definitely not audio")


def test_it_measures_render_speed(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    spoken = synthesize(" ".join([TEN_WORDS] * 3), "en-US")
    portrait = DEMO_PORTRAIT.read_bytes()

    started = time.perf_counter()
    duration = render_talking_head(
        portrait, spoken.samples, spoken.sample_rate, tmp_path / "a.mp4"
    ).duration
    elapsed = time.perf_counter() - started

    with capsys.disabled():
        print(
            f"\n720p render: {duration:.1f} s of video in {elapsed:.2f} s "
            f"({elapsed / duration:.3f} s of compute per second of video)"
        )


def test_japanese_kanji_are_read_out_not_called_chinese_letters():
    kanji = synthesize("東京へようこそ。", "ja")
    kana = synthesize("とうきょうへようこそ。", "ja")

    assert speech.readable("東京へようこそ。", "ja") == "とうきょうへようこそ。"
    assert [word for word, _, _ in kanji.words] == ["東京へようこそ"]
    # "Chinese letter" twice would take far longer than the two syllables of Tokyo.
    assert abs(kanji.duration - kana.duration) < 0.15
