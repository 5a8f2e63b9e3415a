"""Builders for the training tests: tiny settings, models and shards whose content tells
where every frame and mel column came from.

Frame ``f`` of every segment is filled with the value ``f`` (plus a mouth-like dark bar
whose height follows the loudness), and mel row 1 holds QUIET + column index / 100, so a test
can read back which frames and which audio window a view was cut from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from lipsync.audio.mel import MelSettings
from lipsync.data.shards import Sample, write_shard
from lipsync.models import GeneratorSettings, ModelsSettings, SyncNetSettings
from lipsync.params_loader import from_mapping
from lipsync.training import TrainingSettings, WindowGeometry
from tests.builders import loaded_params, real_params

ROOT = Path(__file__).resolve().parents[2]
SIZE = 96
LOUD, QUIET = 2.0, -3.5


def training_section() -> dict:
    """The ``training:`` mapping of params.yaml (it has no derived keys)."""
    return real_params()["training"]


def real_training() -> TrainingSettings:
    return from_mapping(TrainingSettings, training_section(), "training")


def tiny_training(steps: int = 4, batch: int = 4, every: int = 2) -> TrainingSettings:
    """The real section with a few steps, small batches and frequent checkpoints."""
    real = real_training()

    def shrink(loop):
        return dataclasses.replace(
            loop,
            steps=steps,
            batch=batch,
            lr=1e-4,
            log_every=1,
            checkpoint_every=every,
            eval_every=steps,
            keep_checkpoints=10,
        )

    data = dataclasses.replace(real.data, shuffle_buffer=8, epoch_batches=3, views_per_segment=2, dataloader_workers=0)
    return dataclasses.replace(
        real,
        data=data,
        syncnet_expert=dataclasses.replace(real.syncnet_expert, loop=shrink(real.syncnet_expert.loop), eval_pairs=40),
        syncnet_evaluator=dataclasses.replace(real.syncnet_evaluator, loop=shrink(real.syncnet_evaluator.loop)),
        generator=dataclasses.replace(
            real.generator, loop=shrink(real.generator.loop), sync_start=2, eval_windows=6, grid_windows=2
        ),
        wav2lip_baseline=dataclasses.replace(
            real.wav2lip_baseline, loop=shrink(real.wav2lip_baseline.loop), eval_windows=2, grid_windows=1
        ),
    )


def mel_settings() -> MelSettings:
    return loaded_params().mel


def models_settings() -> ModelsSettings:
    return loaded_params().models


def geometry() -> WindowGeometry:
    return WindowGeometry(frames=5, mel_frames=16, mel=mel_settings())


def tiny_expert_settings() -> SyncNetSettings:
    return SyncNetSettings(channels=(4, 8, 8, 8, 16), embedding_dim=16, window_frames=5)


def tiny_generator_settings() -> GeneratorSettings:
    real = models_settings().generator
    audio = dataclasses.replace(real.audio, dim=16, heads=2, ffn_dim=16)
    fusion = dataclasses.replace(real.fusion, heads=2, ffn_dim=16)
    compositor = dataclasses.replace(real.compositor, hidden_channels=4)
    return dataclasses.replace(
        real, image_size=SIZE, channels=(4, 4, 8, 8, 8), audio=audio, fusion=fusion, compositor=compositor
    )


def segment(video: str, start: int, frames: int = 25, seed: int = 0, quiet: tuple[int, ...] = ()) -> Sample:
    """One shard sample: frames filled with their index; mel row 1 encodes the column.

    quiet: relative frames whose audio (their 3.2 mel columns) is silent (QUIET), the rest LOUD;
    the 16 kHz PCM audio is a tone in the loud frames and silence in the quiet ones.
    """
    rng = np.random.default_rng(seed)
    mel_start = int(80 * start / 25)
    columns = 16 * frames // 5
    loud = np.full(frames, LOUD, dtype=np.float32)
    loud[list(quiet)] = QUIET
    mel = np.full((80, columns), QUIET, dtype=np.float32)
    frame_of_column = np.minimum(((np.arange(columns) + mel_start) * 25 // 80) - start, frames - 1)
    mel[0] = loud[np.clip(frame_of_column, 0, frames - 1)]
    mel[1] = QUIET + np.arange(columns) / 100.0  # stays below the silence level
    pixels = np.repeat(np.arange(frames, dtype=np.uint8)[:, None, None, None], SIZE, 1).repeat(SIZE, 2).repeat(3, 3)
    pixels = pixels.copy()
    for t in range(frames):  # a mouth bar that opens with loud audio
        height = 12 if loud[t] > 0 else 2
        pixels[t, 70 : 70 + height, 36:60] = 200 + rng.integers(0, 50)
    boxes = np.tile(np.array([[80.0, 60.0, 176.0, 170.0]], dtype=np.float32), (frames, 1))
    points = [[105, 90], [150, 90], [128, 115], [110, 140], [146, 140]]
    landmarks = np.tile(np.array(points, dtype=np.float32)[None], (frames, 1, 1))
    meta = {
        "video_id": video,
        "speaker": f"spk-{video}",
        "clip": "clip00",
        "split": "train",
        "start_frame": start,
        "frames": frames,
        "fps": 25,
        "mel_start": mel_start,
    }
    t = np.arange(640) / 16000
    tone = (8000 * np.sin(2 * np.pi * (300 + 40 * seed) * t)).astype(np.int16)
    audio = np.concatenate([tone if level > 0 else np.zeros(640, np.int16) for level in loud])  # 16-bit PCM
    return Sample(f"{video}_{start:06d}", pixels, mel, boxes, landmarks, meta, audio)


def column_of(mel: np.ndarray) -> int:
    """Index of the first mel column of a window cut from a :func:`segment` (mel (..., 80, 16))."""
    return int(round((float(mel[..., 1, 0].reshape(-1)[0]) - QUIET) * 100))


def write_shards(folder: Path, shards: int = 2, per_shard: int = 3) -> list[Path]:
    """``shards`` tar files of ``per_shard`` 25-frame segments each, from several videos."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(shards):
        samples = [segment(f"v{s}{k}", 25 * k, seed=s * 10 + k, quiet=(0, 1, 2, 3, 4)) for k in range(per_shard)]
        path = folder / f"shard-{s:06d}.tar"
        write_shard(path, samples, mtime=0)
        paths.append(path)
    return paths
