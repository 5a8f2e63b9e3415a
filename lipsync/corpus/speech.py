"""A clip's speech track: random words spoken by espeak-ng, fitted into the clip's length.

The utterance is cut at the last word boundary that fits (so no word is clipped), faded,
resampled from espeak's 22050 Hz to the corpus rate with a polyphase filter
(``scipy.signal.resample_poly``, deterministic), scaled to a fixed peak and placed after a
lead-in silence, over a faint white-noise floor. Phoneme times come from espeak's phoneme
events (millisecond resolution) shifted by the lead-in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from lipsync.corpus.espeak import synthesize
from lipsync.corpus.settings import SpeechSettings
from lipsync.corpus.words import draw_text


@dataclass(frozen=True)
class Voice:
    """espeak voice of one speaker: name (``en-us+f3``), rate (words/min), pitch, pitch_range (0..100)."""

    name: str
    rate: int
    pitch: int
    pitch_range: int


@dataclass(frozen=True)
class ClipSpeech:
    """audio: float32 (N,) mono in [-1, 1]; text: the words spoken (what was cut is dropped);
    phonemes: espeak mnemonics (P,); phoneme_times: float64 (P, 2) start, end in seconds."""

    audio: np.ndarray
    text: str
    phonemes: tuple[str, ...]
    phoneme_times: np.ndarray


def make_speech(
    rng: np.random.Generator, voice: Voice, n_samples: int, sample_rate: int, settings: SpeechSettings
) -> ClipSpeech:
    """Speech for one clip of exactly ``n_samples`` samples at ``sample_rate`` Hz."""
    seconds = n_samples / sample_rate
    lead = float(rng.uniform(*settings.lead_silence))
    budget_ms = 1000.0 * (seconds - lead - settings.tail_silence)
    if budget_ms <= 0:
        raise ValueError(
            f"a {seconds:.2f} s clip leaves no room for speech after corpus.speech.lead_silence and "
            "tail_silence: raise corpus.min_seconds"
        )
    n_words = max(2, math.ceil(budget_ms / 60000.0 * voice.rate * settings.words_margin))
    text = draw_text(rng, n_words, settings.phrase_words)
    said = synthesize(text, voice.name, voice.rate, voice.pitch, voice.pitch_range, int(rng.integers(2**31)))
    cut_ms, n_kept = _cut_point(said.word_ms, 1000.0 * len(said.audio) / said.sample_rate, budget_ms)

    speech = said.audio[: int(round(cut_ms * said.sample_rate / 1000.0))].astype(np.float64) / 32768.0
    speech = _fade_out(speech, int(settings.fade_ms * said.sample_rate / 1000.0))
    g = math.gcd(sample_rate, said.sample_rate)
    speech = resample_poly(speech, sample_rate // g, said.sample_rate // g)
    speech *= settings.peak / max(float(np.abs(speech).max()), 1e-9)

    audio = rng.normal(0.0, settings.noise, n_samples)
    start = int(round(lead * sample_rate))
    speech = speech[: n_samples - start]
    audio[start : start + len(speech)] += speech

    keep = said.phoneme_ms < cut_ms
    starts = said.phoneme_ms[keep] / 1000.0
    ends = np.append(starts[1:], cut_ms / 1000.0)
    times = np.stack([starts, ends], axis=1) + lead
    phonemes = tuple(p for p, k in zip(said.phonemes, keep, strict=True) if k)
    words = text.rstrip(".").split(" ")[:n_kept]
    return ClipSpeech(np.clip(audio, -1.0, 1.0).astype(np.float32), " ".join(words).rstrip(","), phonemes, times)


def _cut_point(word_ms: np.ndarray, total_ms: float, budget_ms: float) -> tuple[float, int]:
    """Latest cut (ms) at a word start or the end that fits ``budget_ms``, and words kept.

    Falls back to cutting inside the first word when not even one word fits.
    """
    bounds = [float(ms) for ms in word_ms[1:]] + [total_ms]
    fitting = [i for i, ms in enumerate(bounds) if 0 < ms <= budget_ms]
    if not fitting:
        return min(budget_ms, total_ms), 1
    return bounds[fitting[-1]], fitting[-1] + 1


def _fade_out(audio: np.ndarray, n: int) -> np.ndarray:
    if n <= 0 or len(audio) == 0:
        return audio
    n = min(n, len(audio))
    audio = audio.copy()
    audio[-n:] *= np.linspace(1.0, 0.0, n)
    return audio
