"""The sandbox's draft renderer: `python -m tests.bench.bench_draft`.

Seconds of compute per second of video (the real-time factor; the target is under 0.5) at
720p and 1080p for a 30-second script, and the peak memory of the process doing it. Each
render runs in a fresh child process so its peak RSS is its own. The baseline, measured in
the same run, is the encoder alone: the same number of frames of the still portrait and the
same audio through the same H.264/AAC settings, with no face finding, no mouth, no blinks
and no head motion, so the ratio is what the talking head costs on top of encoding.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import common  # noqa: E402

PORTRAIT = ROOT / "avatars" / "demo" / "grace-hopper.jpg"
SCRIPT = (
    "Welcome to Avatar Studio. This draft was rendered on this machine's processor, offline, "
    "without an API key. The portrait speaks the script with espeak, its mouth takes the shape "
    "of every sound, it blinks now and then and moves its head a little, so that a team can see "
    "what the video will look like before a single credit is spent. When the draft looks "
    "right, the same request goes to a real provider unchanged. "
)
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def child(kind: str, size: str, out: str) -> dict[str, float]:
    """Render in this process and report times and peak memory (run in a fresh process)."""
    import numpy as np

    from avatars.sandbox import speech, video

    started = time.perf_counter()
    spoken = speech.synthesize(SCRIPT, "en-US")
    speech_s = time.perf_counter() - started
    resolution = SIZES[size]
    cpu, wall = time.process_time(), time.perf_counter()
    if kind == "draft":
        rendered = video.render_talking_head(
            PORTRAIT.read_bytes(),
            spoken.samples,
            spoken.sample_rate,
            out,
            resolution=resolution,
            phonemes=spoken.phonemes,
        )
        duration = rendered.duration
    else:
        canvas, _ = video._compose(
            video._open_portrait(PORTRAIT.read_bytes(), resolution), *resolution
        )
        face = None
        frames = round(len(spoken.samples) / spoken.sample_rate * 25)
        still = np.zeros(frames, dtype=np.float32)
        track = video.visemes.MouthTrack(still, still + 1)
        video._encode(canvas, face, track, still, spoken.samples, spoken.sample_rate, out, 25)
        duration = frames / 25
    return {
        "duration": duration,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "speech": speech_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bytes": Path(out).stat().st_size,
    }


def run_child(kind: str, size: str, scratch: Path) -> dict[str, float]:
    out = scratch / f"{kind}-{size}.mp4"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_draft", "--child", kind, size, str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        import django

        django.setup()
        print(json.dumps(child(*sys.argv[2:5])))
        return
    print(f"load average: {common.load()} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-draft-") as folder:
        scratch = Path(folder)
        for size in SIZES:
            draft = run_child("draft", size, scratch)
            encoder = run_child("encoder", size, scratch)
            rtf = draft["wall"] / draft["duration"]
            base_rtf = encoder["wall"] / encoder["duration"]
            print(
                f"  {size}: {draft['duration']:.1f} s of video in {draft['wall']:.2f} s "
                f"(RTF {rtf:.3f}, CPU {draft['cpu'] / draft['duration']:.3f} s/s over both "
                f"cores), peak RSS {draft['peak_mb']:.0f} MB, {draft['bytes'] / 1e6:.1f} MB file; "
                f"speech synthesis {draft['speech']:.2f} s"
            )
            print(
                f"  {size} encoder alone: RTF {base_rtf:.3f}, peak RSS "
                f"{encoder['peak_mb']:.0f} MB → the talking head costs "
                f"{rtf / base_rtf:.2f}× the bare encode"
            )
            common.record(
                f"draft render {size} (RTF, target < 0.5)",
                f"{rtf:.3f} s/s",
                f"encoder alone {base_rtf:.3f} s/s",
                f"{rtf / base_rtf:.2f}x",
            )
            common.record(
                f"draft render {size} peak RSS",
                f"{draft['peak_mb']:.0f} MB",
                f"encoder alone {encoder['peak_mb']:.0f} MB",
                f"{draft['peak_mb'] / encoder['peak_mb']:.2f}x",
            )


if __name__ == "__main__":
    main()
