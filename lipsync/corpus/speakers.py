"""The corpus speakers: which photo, voice and look each one has, drawn from the seed.

Speaker i's attributes come from its own generator, seeded with (seed, 0, i), so they do not
depend on how many speakers or clips there are. The last ``test_speakers`` speakers cycle
through the test identities of the photo set (``data/photos``), the ``val_speakers`` before
them through the val identities, the others through the train identities (name order), so
no identity is in two splits. Built-in photos have no val identity: their val speakers show
training faces (with voices never heard in training), as the corpus always did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.corpus.photos import builtin_photo_set
from lipsync.corpus.settings import CorpusSettings, PhotoSettings
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
    """id ``spk{index:02d}-{photo}``; split "train", "val" or "test"; open_gain: articulation factor."""

    id: str
    index: int
    photo: str
    split: str
    voice: Voice
    open_gain: float
    look: Look


def plan_speakers(settings: CorpusSettings, photos: dict[str, PhotoSettings] | None = None) -> tuple[Speaker, ...]:
    """All speakers of the corpus, in index order, on ``photos`` (identity -> record; None: the
    built-in photos of ``corpus.photos.builtin``)."""
    photos = builtin_photo_set(settings) if photos is None else photos
    by_split = {split: [name for name, p in photos.items() if p.split == split] for split in ("train", "val", "test")}
    if not by_split["train"] or not by_split["test"]:
        raise ValueError(f"corpus: the photos hold {len(by_split['train'])} train and {len(by_split['test'])} test "
                         "identities; both splits need at least one (see corpus.photos)")  # fmt: skip
    first_test = settings.speakers - settings.test_speakers
    first_val = first_test - settings.val_speakers
    if settings.test_speakers < 1 or settings.val_speakers < 0 or first_val < 1:
        raise ValueError("params keys corpus.test_speakers >= 1, corpus.val_speakers >= 0 and their sum must leave "
                         "training speakers among corpus.speakers")  # fmt: skip
    speakers = []
    for i in range(settings.speakers):
        if i >= first_test:
            photo, split = by_split["test"][(i - first_test) % len(by_split["test"])], "test"
        elif i >= first_val and by_split["val"]:
            photo, split = by_split["val"][(i - first_val) % len(by_split["val"])], "val"
        else:  # a val speaker without val identities (the built-in photos) shows a training face
            photo, split = by_split["train"][i % len(by_split["train"])], "val" if i >= first_val else "train"
        speakers.append(draw_speaker(settings, i, photo, split))
    return tuple(speakers)


def draw_speaker(settings: CorpusSettings, index: int, photo: str, split: str) -> Speaker:
    """Speaker ``index``'s voice, look and articulation gain, drawn from (seed, 0, index) only."""
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
