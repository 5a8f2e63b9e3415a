"""Benchmark ``inference``: ours against the Wav2Lip baseline, end to end, in one run.

- batch: a 256x256 and a 1280x720 face video dubbed with the same speech (decode, track, generate,
  paste, encode: the whole ``lipsync infer``), frames/s; the models take turns so machine noise
  hits both;
- streaming on a still photo, fed at real-time pace in 40 ms chunks: sustained frames/s and the
  p50/p95 processing latency (see :mod:`lipsync.inference.realtime`);
- memory (ours): peak RSS of ``lipsync infer`` in a fresh process on a 1-minute and a 3-minute
  720p face video with speech as long.

The models are the trained ones when the pipeline has registered them (ours: the default
model; the baseline: the version its stage recorded), otherwise untrained copies: speed and
memory do not depend on the weights, and the JSON says which were used.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from lipsync.bench.inference_inputs import face_video, photo_file, speech_file
from lipsync.project import Project

GOALS = {"batch_720p_fps": 25.0, "stream_fps": 25.0, "stream_p95_ms": 100.0, "rss_growth": 0.2}


def run(project: Project, quick: bool = False) -> dict:
    from lipsync.stages.batch_inference import inference_config

    config = inference_config(project.params, project.layout)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        models = _models(project, config, folder)
        seconds = 2.0 if quick else 10.0
        speech = speech_file(folder / "speech.wav", seconds, config.mel.sample_rate)
        sizes = {"256x256": (256, 256), "1280x720": (320, 180) if quick else (1280, 720)}
        batch = {name: _batch(folder, models, config, face_video(folder / f"{name}.mp4", size, seconds), speech)
                 for name, size in sizes.items()}  # fmt: skip
        stream = {kind: _stream(models[kind], config, photo_file(folder / "photo.png"), speech) for kind in models}
        lengths = (2.0, 6.0) if quick else (60.0, 180.0)
        memory = _memory(folder, models["ours"], config, sizes["1280x720"], lengths)
    return {
        "models": {kind: {"identity": m["identity"], "trained": m["trained"]} for kind, m in models.items()},
        "speech_seconds": seconds,
        "batch": batch,
        "stream": stream,
        "memory": memory,
        "goals": GOALS,
    }


def _models(project: Project, config, folder: Path) -> dict:
    """{"ours", "wav2lip"}: checkpoint path (so other processes load the same weights), identity, trained."""
    import torch

    from lipsync.inference.model_source import ModelSourceError, load_generator
    from lipsync.models import LipSyncGenerator, Wav2Lip, save_checkpoint

    wanted = {"ours": None, "wav2lip": _baseline_uri(project)}
    out = {}
    for kind, spec in wanted.items():
        try:
            loaded = (
                load_generator(spec, config.generator, config.mlruns, config.generator_result)
                if spec or kind == "ours"
                else None
            )
        except ModelSourceError:
            loaded = None
        torch.manual_seed(0)
        model = loaded.model if loaded else (LipSyncGenerator(config.generator) if kind == "ours" else Wav2Lip())
        path = save_checkpoint(folder / f"{kind}.pth", model, None, 0, 0)
        out[kind] = {
            "path": str(path),
            "identity": loaded.identity if loaded else "untrained",
            "trained": loaded is not None,
        }
    return out


def _baseline_uri(project: Project) -> str | None:
    import json

    result = project.layout.model_result("wav2lip_baseline")
    if not result.is_file():
        return None
    model = json.loads(result.read_text())["model"]
    return f"models:/{model['name']}/{model['version']}"


def _batch(folder: Path, models: dict, config, face: Path, speech: Path) -> dict:
    from lipsync.inference.job import InferenceJob
    from lipsync.inference.jobs import run_job

    totals = {kind: [0, 0.0] for kind in models}
    for round_ in range(2):
        for kind in models if round_ == 0 else reversed(list(models)):
            out = folder / f"{face.stem}-{kind}-{round_}.mp4"
            result = run_job(InferenceJob(face, speech, out, models[kind]["path"]), config)
            if not result.ok:
                raise RuntimeError(f"bench inference: {kind} on {face.name} failed: {result.reason}")
            totals[kind][0] += result.frames
            totals[kind][1] += result.seconds
            out.unlink()
    return {kind: {"frames": f, "seconds": round(s, 2), "fps": round(f / s, 1)} for kind, (f, s) in totals.items()}


def _stream(model: dict, config, photo: Path, speech: Path) -> dict:
    from lipsync.inference.generation import LowerFace
    from lipsync.inference.model_source import load_generator
    from lipsync.inference.realtime import feed
    from lipsync.inference.speech import read_speech
    from lipsync.inference.streaming import LipSyncStream, prepare_face

    loaded = load_generator(model["path"], config.generator, config.mlruns, config.generator_result)
    face = prepare_face(photo, config.faces, config.fps, config.settings)
    audio = read_speech(speech, config.mel, config.fps, config.window_frames).mel_audio
    warm = LipSyncStream(face, LowerFace(loaded.model), config)
    feed(warm, audio[: config.mel.sample_rate], config.settings.stream.chunk_ms, realtime=False)  # warm-up
    stream = LipSyncStream(face, LowerFace(loaded.model), config)
    report = feed(stream, audio, config.settings.stream.chunk_ms, realtime=True)
    return {**report.as_dict(), "frame_size": list(face.frames.shape[1:3][::-1])}


def _memory(folder: Path, model: dict, config, size: tuple[int, int], lengths: tuple[float, float]) -> dict:
    """Peak RSS (MB) of a fresh process dubbing a face video as long as its speech, per length."""
    from lipsync.bench.peak_memory import by_length, in_fresh_process

    runs = {}
    for seconds in lengths:
        face = face_video(folder / f"long-{seconds:.0f}.mp4", size, seconds)
        speech = speech_file(folder / f"long-{seconds:.0f}.wav", seconds, config.mel.sample_rate)
        runs[seconds] = in_fresh_process(_dub_measured, face, speech, folder / "long.mp4", model["path"], config)
        face.unlink()
    return by_length(runs, size)


def _dub_measured(face: Path, speech: Path, out: Path, model: str, config) -> tuple[int, int, float]:
    """In a fresh process: dub, then (peak RSS in KB, frames, seconds)."""
    from lipsync.bench.peak_memory import peak_rss_kb
    from lipsync.inference.job import InferenceJob
    from lipsync.inference.jobs import run_job

    started = time.perf_counter()
    result = run_job(InferenceJob(face, speech, out, model, overwrite=True), config)
    if not result.ok:
        raise RuntimeError(f"bench inference: memory run failed: {result.reason}")
    return peak_rss_kb(), result.frames, time.perf_counter() - started
