"""What p-video-avatar offers: its voices, languages, resolutions and the providers serving it
(shared/providers.md)."""

from dataclasses import dataclass
from typing import Literal

Gender = Literal["female", "male"]


@dataclass(frozen=True)
class Speaker:
    name: str
    gender: Gender

    @property
    def label(self) -> str:
        """The voice as the providers spell it, e.g. "Zephyr (Female)"."""
        return f"{self.name} ({self.gender.title()})"


@dataclass(frozen=True)
class Language:
    code: str
    label: str
    # How fast a typical voice speaks it, for duration estimates. Japanese has no spaces
    # between words, so it is counted in characters instead.
    units_per_minute: int
    counts_characters: bool = False


# In the providers' order, as they spell them.
_VOICE_LABELS = """
Zephyr (Female), Puck (Male), Charon (Male), Kore (Female), Fenrir (Male), Leda (Female),
Orus (Male), Aoede (Female), Callirrhoe (Female), Autonoe (Female), Enceladus (Male),
Iapetus (Male), Umbriel (Male), Algenib (Male), Despina (Female), Erinome (Female),
Laomedeia (Female), Achernar (Female), Algieba (Male), Schedar (Male), Gacrux (Female),
Pulcherrima (Female), Achird (Male), Zubenelgenubi (Male), Vindemiatrix (Female),
Sadachbia (Male), Sadaltager (Male), Sulafat (Female), Alnilam (Male), Rasalgethi (Male)
"""


def _speaker(label: str) -> Speaker:
    name, gender = label.strip().rstrip(")").split(" (")
    return Speaker(name, "female" if gender == "Female" else "male")


SPEAKERS: dict[str, Speaker] = {
    speaker.name: speaker for speaker in map(_speaker, _VOICE_LABELS.strip().split(","))
}

LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en-US", "English (US)", 150),
        Language("en-GB", "English (UK)", 150),
        Language("es", "Spanish", 160),
        Language("fr", "French", 150),
        Language("de", "German", 130),
        Language("it", "Italian", 150),
        Language("pt-BR", "Portuguese (Brazil)", 150),
        Language("ja", "Japanese", 330, counts_characters=True),
        Language("ko", "Korean", 100),
        Language("hi", "Hindi", 130),
    )
}

RESOLUTIONS: dict[str, tuple[int, int]] = {"720p": (1280, 720), "1080p": (1920, 1080)}

DEFAULT_VOICE_PROMPT = "Say the following."
DEFAULT_VIDEO_PROMPT = "The person is talking."

SPEAKER_CHOICES = [(s.name, s.label) for s in SPEAKERS.values()]
LANGUAGE_CHOICES = [(lang.code, lang.label) for lang in LANGUAGES.values()]

# The providers that serve the model, in the order pages list them, as people call them.
PROVIDER_LABELS: dict[str, str] = {
    "crun": "Crun",
    "lumenfall": "Lumenfall",
    "replicate": "Replicate",
    "sandbox": "Sandbox (free offline draft)",
}
