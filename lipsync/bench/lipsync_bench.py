"""Benchmark ``lipsync``: does the trained model open the mouth when the voice is loud?

On a face photo and an espeak voice the corpus never uses (``inference.measure``), the default
model (the ``champion`` alias, else the version the generator stage recorded) dubs about ten
seconds of speech. On every output frame, dlib's 68 landmarks (on the face crop, in one fixed
box: the photo does not move) give the inner-lip opening, points 62 to 66, over the
inter-ocular distance; the audio gives its RMS energy over the frame's 40 ms. The figure is
their Pearson correlation at lag 0 (goal: >= 0.5); other lags are listed to show where the
model's timing peaks. A strip of frames with their openings goes to ``<paths.bench>/lipsync_strip.png``.

The same measurement on the held-out test clips' real frames and audio (``truth``) says how
closely the corpus's own mouths follow the voice's energy: the most a model trained on it can
be expected to reach, since the opening also moves with phonemes that are not loud (closures,
rounding) and energy also rises on sounds said with a small mouth.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from lipsync.project import Project

UPPER_INNER, LOWER_INNER = 62, 66
LAGS = range(-6, 7)


def run(project: Project, quick: bool = False) -> dict:
    from lipsync.inference.job import InferenceJob
    from lipsync.inference.jobs import run_job
    from lipsync.stages.batch_inference import inference_config

    params, started = project.params, time.perf_counter()
    measure = params.inference.measure
    config = inference_config(params, project.layout)
    face = Path(measure.face) if measure.face else _grace_hopper()
    with tempfile.TemporaryDirectory() as folder:
        speech = Path(folder) / "speech.wav"
        audio = _speech(speech, measure.voice, 6 if quick else measure.words, measure.seed, params.mel.sample_rate)
        out = Path(folder) / "dubbed.mp4"
        result = run_job(InferenceJob(face, speech, out), config)
        if not result.ok:
            raise RuntimeError(f"lipsync bench lipsync: dubbing failed: {result.reason}")
        crops = _face_crops(out, face, config)
    opening = _inner_lip_opening(crops, params.evaluation.faces)
    energy = _frame_energy(audio, len(crops), params.mel.sample_rate, params.format.fps)
    by_lag = {lag: _correlation(opening, energy, lag) for lag in LAGS}
    strip = project.layout.bench / "lipsync_strip.png"
    _write_strip(strip, crops, opening, energy)
    lag0 = by_lag[0]
    truth = _held_out_truth(project, quick)
    return {
        "model": result.model,
        "face": str(face),
        "voice": measure.voice,
        "frames": len(crops),
        "frames_with_landmarks": int(np.isfinite(opening).sum()),
        "correlation_lag0": lag0,
        "correlation_by_lag": {str(k): v for k, v in by_lag.items()},
        "best_lag_frames": max(by_lag, key=lambda k: -math.inf if by_lag[k] is None else by_lag[k]),
        "goal": 0.5,
        "met": lag0 is not None and lag0 >= 0.5,
        "strip": str(strip.relative_to(project.root)),
        "truth": truth,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _held_out_truth(project: Project, quick: bool) -> dict | None:
    """The lag-0 correlation on the real frames and audio of ``evaluation.split``'s clips: per
    clip (mean and range) and pooled over all their frames; None before the data stages ran."""
    from lipsync.stages.evaluation_inputs import load_clips

    params = project.params
    try:
        clips, _ = load_clips(params, project.layout, params.evaluation.split)
    except (FileNotFoundError, ValueError):
        return None
    per_clip, openings, energies, skipped = [], [], [], 0
    for clip in clips[:2] if quick else clips:
        try:
            opening = _inner_lip_opening(clip.frames, params.evaluation.faces)
        except RuntimeError:
            skipped += 1
            continue
        energy = _frame_energy(clip.audio, clip.length, params.mel.sample_rate, clip.fps)
        r = _correlation(opening, energy, 0)
        if r is not None:
            per_clip.append(r)
        openings.append(opening)
        energies.append(energy)
    if not per_clip:
        return None
    return {
        "split": params.evaluation.split,
        "clips": len(per_clip),
        "clips_without_face": skipped,
        "correlation_lag0_mean": round(float(np.mean(per_clip)), 3),
        "correlation_lag0_range": [min(per_clip), max(per_clip)],
        "correlation_lag0_pooled": _correlation(np.concatenate(openings), np.concatenate(energies), 0),
    }


def _grace_hopper() -> Path:
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def _speech(path: Path, voice: str, words: int, seed: int, rate: int) -> np.ndarray:
    """Espeak speech of ``words`` words with 0.5 s of silence around it, written to ``path``; float32 (N,)."""
    from scipy.signal import resample_poly

    from lipsync.corpus.espeak import synthesize
    from lipsync.corpus.words import draw_text
    from lipsync.media.writer import write_wav

    text = draw_text(np.random.default_rng(seed), words, (2, 5))
    said = synthesize(text, voice, 160, 50, 60, seed)
    g = math.gcd(rate, said.sample_rate)
    speech = resample_poly(said.audio.astype(np.float64) / 32768.0, rate // g, said.sample_rate // g)
    speech *= 0.8 / max(float(np.abs(speech).max()), 1e-9)
    pause = np.zeros(rate // 2)
    audio = np.concatenate([pause, speech, pause]).astype(np.float32)
    write_wav(path, audio, rate)
    return audio


def _face_crops(video: Path, face: Path, config) -> np.ndarray:
    """uint8 (T, 96, 96, 3): the output frames cut at the photo's face box (as inference cut them)."""
    from lipsync.faces.crop import crop_faces
    from lipsync.inference.face_plan import plan_face
    from lipsync.media.reader import iter_frames

    box = plan_face(face, config.faces, config.fps, config.settings.max_side).boxes[:1]
    return np.concatenate([crop_faces(frame[None], box, 96, config.faces.crop) for _, frame in iter_frames(video)])


def _inner_lip_opening(crops: np.ndarray, settings) -> np.ndarray:
    """float64 (T,): |point 66 - point 62| / inter-ocular distance, in one box found on the first crop."""
    from lipsync.evaluation.landmarks import FaceLandmarker, inter_ocular

    landmarker = FaceLandmarker(settings)
    box, why = landmarker.face_box(crops[0])
    if box is None:
        raise RuntimeError(f"lipsync bench lipsync: dlib finds no face on the output crop ({why})")
    points = landmarker.locate(crops, np.repeat(box[None], len(crops), axis=0)).points  # (T, 68, 2)
    gap = np.linalg.norm(points[:, LOWER_INNER] - points[:, UPPER_INNER], axis=-1)
    return (gap / inter_ocular(points)).astype(np.float64)


def _frame_energy(audio: np.ndarray, frames: int, rate: int, fps: int) -> np.ndarray:
    """float64 (T,): RMS of the audio during each frame's 1/fps s."""
    step = rate // fps
    padded = np.concatenate([audio, np.zeros(max(0, frames * step - len(audio)), np.float32)])
    return np.sqrt((padded[: frames * step].reshape(frames, step).astype(np.float64) ** 2).mean(axis=1))


def _correlation(opening: np.ndarray, energy: np.ndarray, lag: int) -> float | None:
    """Pearson r of opening[f] and energy[f + lag] over the frames where both exist."""
    a, b = (opening[: len(opening) - lag], energy[lag:]) if lag >= 0 else (opening[-lag:], energy[: len(energy) + lag])
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3 or a[keep].std() == 0 or b[keep].std() == 0:
        return None
    return round(float(np.corrcoef(a[keep], b[keep])[0, 1]), 3)


def _write_strip(path: Path, crops: np.ndarray, opening: np.ndarray, energy: np.ndarray, count: int = 10) -> None:
    """Frames spread over the clip (quiet and loud), 2x, each labelled with its opening and energy."""
    from lipsync.atomic import atomic_path

    picks = np.linspace(0, len(crops) - 1, count).round().astype(int)
    tiles = []
    for i in picks:
        tile = cv2.resize(crops[i], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        tile = cv2.copyMakeBorder(tile, 0, 22, 0, 2, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        label = f"f{i} o={opening[i]:.2f} e={energy[i]:.2f}" if np.isfinite(opening[i]) else f"f{i} no landmarks"
        cv2.putText(tile, label, (2, 206), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    with atomic_path(path) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(np.concatenate(tiles, axis=1), cv2.COLOR_RGB2BGR))
