"""The corpus speakers: which photo, voice and look each one has, drawn from the seed.

Speaker i's attributes come from its own generator, seeded with (seed, 0, i), so they do not
depend on how many speakers or clips there are. The last ``test_speakers`` speakers get the
test photos; the others cycle through the remaining photos in ``settings.photos`` order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.corpus.settings import CorpusSettings
from lipsync.corpus.speech import Voice

_SPEAKER_STREAM, CLIP_STREAM = 0, 1


@dataclass(frozen=True)
class Look:
    """How a speaker's photo is framed and lit.

    face_width: face-box width as a fraction of the frame; offset: (x, y) face-centre offset
    from the frame centre, fraction of the frame; roll: degrees. gain, tint (3,), gamma: global
    light; gradient: ramp strength along ``gradient_angle`` (radians); background: blend
    strength of the two-colour background ``background_colors`` (2 x RGB in [0, 1]).
    """

    face_width: float
    offset: tuple[float, float]
    roll: float
    gain: float
    tint: tuple[float, float, float]
    gradient: float
    gradient_angle: float
    gamma: float
    background: float
    background_colors: tuple[tuple[float, float, float], tuple[float, float, float]]


@dataclass(frozen=True)
class Speaker:
    """id ``spk{index:02d}-{photo}``; split "train" or "test"; open_gain: articulation factor."""

    id: str
    index: int
    photo: str
    split: str
    voice: Voice
    open_gain: float
    look: Look


def plan_speakers(settings: CorpusSettings) -> tuple[Speaker, ...]:
    """All speakers of the corpus, in index order."""
    missing = [p for p in settings.test_photos if p not in settings.photos]
    if missing:
        raise ValueError(f"params key corpus.test_photos names unknown photos {missing}")
    train_photos = [p for p in settings.photos if p not in settings.test_photos]
    if not train_photos or not settings.test_photos:
        raise ValueError("params keys corpus.photos / corpus.test_photos must leave photos for both splits")
    if not 0 < settings.test_speakers < settings.speakers:
        raise ValueError("params key corpus.test_speakers must be between 1 and corpus.speakers - 1")
    first_test = settings.speakers - settings.test_speakers
    speakers = []
    for i in range(settings.speakers):
        if i < first_test:
            photo, split = train_photos[i % len(train_photos)], "train"
        else:
            photo, split = settings.test_photos[(i - first_test) % len(settings.test_photos)], "test"
        speakers.append(_draw_speaker(settings, i, photo, split))
    return tuple(speakers)


def _draw_speaker(settings: CorpusSettings, index: int, photo: str, split: str) -> Speaker:
    rng = np.random.default_rng([settings.seed, _SPEAKER_STREAM, index])
    speech, framing, light = settings.speech, settings.framing, settings.lighting
    voice = Voice(
        name=speech.voices[index % len(speech.voices)],
        rate=int(rng.integers(speech.rate[0], speech.rate[1] + 1)),
        pitch=int(rng.integers(speech.pitch[0], speech.pitch[1] + 1)),
        pitch_range=int(rng.integers(speech.pitch_range[0], speech.pitch_range[1] + 1)),
    )
    look = Look(
        face_width=float(rng.uniform(*framing.face_width)),
        offset=tuple(float(v) for v in rng.uniform(-framing.max_offset, framing.max_offset, 2)),
        roll=float(rng.uniform(-framing.max_roll_degrees, framing.max_roll_degrees)),
        gain=float(rng.uniform(*light.gain)),
        tint=tuple(float(v) for v in 1.0 + rng.uniform(-light.tint, light.tint, 3)),
        gradient=float(rng.uniform(0.0, light.gradient)),
        gradient_angle=float(rng.uniform(0.0, 2 * np.pi)),
        gamma=float(rng.uniform(*light.gamma)),
        background=float(rng.uniform(*light.background)),
        background_colors=tuple(tuple(float(v) for v in rng.uniform(*light.background_colors, 3)) for _ in range(2)),
    )
    open_gain = float(rng.uniform(*settings.mouth.open_gain))
    return Speaker(f"spk{index:02d}-{photo}", index, photo, split, voice, open_gain, look)
