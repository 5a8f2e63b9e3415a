"""Speech synthesis with espeak-ng through ctypes, one fresh child process per utterance.

The ``espeakng-loader`` wheel ships ``libespeak-ng.so`` and its data; no Python binding for
phoneme *timing* exists there, so the C API (``speak_lib.h``) is called directly:
``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_dir, espeakINITIALIZE_PHONEME_EVENTS)``,
a synth callback that collects int16 samples and ``espeak_EVENT`` records, and
``espeak_Synth`` with UTF-8 text.

Two traps make espeak-ng non-deterministic out of the box (both checked here, 1.52.0):

- it seeds the noise of its voices (breath, flutter) from the clock, so the same request
  gives different samples a second later: the child fixes it with ``espeak_ng_SetRandSeed``;
- it keeps synthesis state between utterances inside one process (the same text, voice and
  parameters spoken twice in a row come out a few samples apart, even after
  ``espeak_Terminate`` + ``espeak_Initialize`` and reseeding), while the first utterance of
  a fresh process is reproducible. A clip must not depend on which clips a worker rendered
  before it, so each utterance is spoken by a new interpreter running ``espeak_child.py``
  (only the standard library and ``espeakng_loader``; about 40 ms each).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_CHILD = Path(__file__).with_name("espeak_child.py")


@dataclass(frozen=True)
class Utterance:
    """One synthesized utterance.

    audio: int16 (N,) mono at ``sample_rate`` (espeak-ng: 22050 Hz).
    phonemes: espeak phoneme mnemonics (stress marks included, e.g. ``'aI``, ``_:``), in order.
    phoneme_ms: int (P,) start of each phoneme, ms from the start of ``audio``.
    word_ms: int (W,) start of each word, ms.
    """

    audio: np.ndarray
    sample_rate: int
    phonemes: tuple[str, ...]
    phoneme_ms: np.ndarray
    word_ms: np.ndarray


def synthesize(text: str, voice: str, rate: int, pitch: int, pitch_range: int, seed: int) -> Utterance:
    """Speak ``text`` with espeak voice ``voice`` (e.g. ``en-us+f3``) in a fresh process.

    rate: words per minute (80..450); pitch, pitch_range: espeak's 0..100 scales (50 = normal);
    seed: espeak's noise generator seed (same arguments -> same samples).
    Raises RuntimeError naming the voice when espeak fails.
    """
    request = json.dumps(
        {"text": text, "voice": voice, "rate": rate, "pitch": pitch, "range": pitch_range, "seed": seed}
    )
    done = subprocess.run([sys.executable, "-I", str(_CHILD)], input=request.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"espeak-ng failed for voice {voice!r}: {done.stderr.decode(errors='replace').strip()}")
    header, _, pcm = done.stdout.partition(b"\n")
    meta = json.loads(header)
    return Utterance(
        audio=np.frombuffer(pcm, dtype="<i2").copy(),
        sample_rate=meta["sample_rate"],
        phonemes=tuple(meta["phonemes"]),
        phoneme_ms=np.asarray(meta["phoneme_ms"], dtype=np.int64),
        word_ms=np.asarray(meta["word_ms"], dtype=np.int64),
    )
