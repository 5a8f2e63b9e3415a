"""Generate the synthetic talking-head corpus on disk.

Layout under ``out_dir``::

    videos/<speaker>/<clip>.mp4   H.264 + AAC, frame_size^2 at fps, mono audio at sample_rate
    truth/<speaker>/<clip>.npz    ground truth (see lipsync.corpus.render.ClipTruth)
    speakers.json                 {speaker: photo, split, voice, look, clips}

Clips are rendered by a pool of ``settings.workers`` spawned processes (so a script calling
this needs the usual ``if __name__ == "__main__":`` guard), always, even for one worker: the
workers start with numpy's, OpenCV's, glibc's, OpenBLAS's and FFmpeg's SIMD pinned to the
x86-64 baseline (:mod:`lipsync.corpus.baseline_cpu`), so the bytes do not depend on the CPU.
Each clip depends only on (seed, speaker, clip), and x264's thread count is fixed, so the same
settings give the same bytes whatever the worker count. Every file is written under a
temporary name and renamed.
Files under ``videos/`` and ``truth/`` that this run did not write (a previous run with more
speakers or clips) are deleted afterwards, so ``out_dir`` holds exactly this corpus.
"""

from __future__ import annotations

import time
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from lipsync.atomic import write_json, write_npz
from lipsync.corpus.baseline_cpu import pinned_pool
from lipsync.corpus.render import render_clip
from lipsync.corpus.settings import CorpusSettings, PhotoSettings
from lipsync.corpus.speakers import plan_speakers
from lipsync.media.writer import write_mp4

VIDEOS, TRUTH, SPEAKERS_FILE = "videos", "truth", "speakers.json"


@dataclass(frozen=True)
class CorpusSummary:
    """videos: files written; seconds: their total duration; elapsed_seconds: wall time taken."""

    videos: int
    seconds: float
    elapsed_seconds: float
    speakers: tuple[str, ...]
    train_speakers: tuple[str, ...]
    val_speakers: tuple[str, ...]
    test_speakers: tuple[str, ...]


def clip_name(clip_index: int) -> str:
    return f"clip{clip_index:02d}"


def clip_paths(out_dir: Path, speaker_id: str, clip_index: int) -> tuple[Path, Path]:
    """(video .mp4, truth .npz) paths of one clip."""
    name = clip_name(clip_index)
    return out_dir / VIDEOS / speaker_id / f"{name}.mp4", out_dir / TRUTH / speaker_id / f"{name}.npz"


def generate_corpus(
    settings: CorpusSettings, out_dir: Path, progress: bool = False, photos: dict[str, PhotoSettings] | None = None
) -> CorpusSummary:
    """Render and write every clip of the corpus into ``out_dir`` (replacing what was there), on
    ``photos`` (identity -> record, from ``data/photos``; None: the built-in photos)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    speakers = plan_speakers(settings, photos)
    jobs = [(s.index, j) for s in speakers for j in range(settings.clips_per_speaker)]
    frames = write_clips(settings, out_dir, jobs, progress, photos)
    expected = {p for s in speakers for j in range(settings.clips_per_speaker) for p in clip_paths(out_dir, s.id, j)}
    _remove_stale(out_dir, expected)
    write_json(
        out_dir / SPEAKERS_FILE,
        {s.id: {**asdict(s), "clips": [clip_name(j) for j in range(settings.clips_per_speaker)]} for s in speakers},
    )
    return CorpusSummary(
        videos=len(jobs),
        seconds=round(sum(frames) / settings.fps, 3),
        elapsed_seconds=round(time.perf_counter() - started, 3),
        speakers=tuple(s.id for s in speakers),
        train_speakers=tuple(s.id for s in speakers if s.split == "train"),
        val_speakers=tuple(s.id for s in speakers if s.split == "val"),
        test_speakers=tuple(s.id for s in speakers if s.split == "test"),
    )


def write_clips(
    settings: CorpusSettings,
    out_dir: Path,
    jobs: list[tuple[int, int]],
    progress: bool,
    photos: dict[str, PhotoSettings] | None = None,
) -> list[int]:
    """Render and write each (speaker, clip) job in pinned workers; returns the frame count of each clip."""
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="corpus", unit="clip", disable=not progress)
    # Always in spawned workers, started with the libraries' SIMD pinned (see baseline_cpu).
    with pinned_pool(max(1, min(settings.workers, len(jobs)))) as pool:
        futures = [pool.submit(write_clip, settings, out_dir, speaker, clip, photos) for speaker, clip in jobs]
        for _ in as_completed(futures):
            bar.update()
        bar.close()
        return [f.result() for f in futures]


def write_clip(settings: CorpusSettings, out_dir: Path, speaker_index: int, clip_index: int, photos=None) -> int:
    """Render one clip (on ``photos``, see :func:`generate_corpus`) and write its video and truth
    files; returns its frame count."""
    clip = render_clip(settings, speaker_index, clip_index, photos)
    video, truth = clip_paths(out_dir, clip.truth.speaker, clip_index)
    video.parent.mkdir(parents=True, exist_ok=True)
    write_mp4(
        video, clip.frames, settings.fps, clip.audio, settings.sample_rate,
        crf=settings.crf, threads=settings.encoder_threads, preset=settings.preset,
    )  # fmt: skip
    write_npz(truth, **clip.truth.arrays())
    return len(clip.frames)


def _remove_stale(out_dir: Path, expected: set[Path]) -> None:
    for tree in (out_dir / VIDEOS, out_dir / TRUTH):
        if not tree.is_dir():
            continue
        for path in sorted(tree.rglob("*"), reverse=True):  # children before their folders
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path not in expected:
                path.unlink()
