"""What a corpus clip says and how its mouth moves, without drawing a frame.

A clip's audio and its true mouth parameters depend only on (seed, speaker, clip) and the
speech and mouth settings: :func:`articulate_clip` draws them with the same random stream
:func:`lipsync.corpus.render.render_clip` uses (it calls this first), so the sync ceiling
(:mod:`lipsync.training.ceiling`) can measure the corpus the params describe in seconds,
without the minutes of rendering and encoding video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.corpus.scene import Motion, draw_motion
from lipsync.corpus.settings import CorpusSettings, PhotoSettings
from lipsync.corpus.speakers import CLIP_STREAM, Speaker, plan_speakers
from lipsync.corpus.speech import ClipSpeech, make_speech
from lipsync.corpus.visemes import mouth_track


@dataclass(frozen=True)
class ClipArticulation:
    """speaker; n_frames: T; motion: the head's motion (drawn here to keep the stream's order);
    speech: audio float32 (T * sample_rate / fps,) and phoneme timeline; mouth_params: float32
    (T, 3) open, width, round at frame centres (the truth file's ``mouth_params``)."""

    speaker: Speaker
    n_frames: int
    motion: Motion
    speech: ClipSpeech
    mouth_params: np.ndarray


def clip_frames(rng: np.random.Generator, settings: CorpusSettings) -> int:
    """Frame count of a clip, drawn uniformly in [min_seconds, max_seconds]."""
    return max(1, int(round(rng.uniform(settings.min_seconds, settings.max_seconds) * settings.fps)))


def articulate_clip(
    settings: CorpusSettings, speaker_index: int, clip_index: int, photos: dict[str, PhotoSettings] | None = None
) -> ClipArticulation:
    """Clip ``clip_index`` of speaker ``speaker_index`` (on ``photos``, see
    :func:`lipsync.corpus.speakers.plan_speakers`): length, motion, speech, mouth track."""
    if (settings.sample_rate % settings.fps) or (settings.frame_size % 2):
        raise ValueError("params keys corpus.sample_rate must be a multiple of corpus.fps, corpus.frame_size even")
    speaker = plan_speakers(settings, photos)[speaker_index]
    rng = np.random.default_rng([settings.seed, CLIP_STREAM, speaker_index, clip_index])
    n_frames = clip_frames(rng, settings)
    motion = draw_motion(rng, settings.motion)
    n_samples = n_frames * settings.sample_rate // settings.fps
    speech = make_speech(rng, speaker.voice, n_samples, settings.sample_rate, settings.speech)
    params = mouth_track(
        speech.phonemes, speech.phoneme_times, n_frames, settings.fps, speaker.open_gain, settings.mouth
    )
    return ClipArticulation(speaker, n_frames, motion, speech, params)
