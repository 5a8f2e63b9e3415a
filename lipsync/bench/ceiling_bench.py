"""Benchmark ``ceiling``: the sync ceiling of the corpus the params describe, in seconds.

Each clip's speech and true mouth track are drawn exactly as the corpus stage draws them
(:func:`lipsync.corpus.articulation.articulate_clip`, same seed), but no frame is rendered
or encoded; the mel is computed from that audio with the ``mel:`` settings and cut into the
shards' segments. The ceiling classifier (:mod:`lipsync.training.ceiling`) is fitted on the
training speakers and scored on the held-out (test) speakers' pairs, as in the
``syncnet_expert`` stage. The audio skips the AAC round trip of the real corpus files.

    lipsync bench ceiling            # the full corpus of params.yaml
    lipsync bench ceiling --quick    # 8 speakers x 2 clips (tests)
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from lipsync.config import Params
from lipsync.corpus.settings import CorpusSettings
from lipsync.project import Project

QUICK_SPEAKERS, QUICK_CLIPS = 8, 2


def run(project: Project, quick: bool = False) -> dict:
    corpus = project.params.corpus
    if quick:
        corpus = dataclasses.replace(corpus, speakers=QUICK_SPEAKERS, clips_per_speaker=QUICK_CLIPS)
    return corpus_ceiling(project.params, corpus)


def corpus_ceiling(params: Params, corpus: CorpusSettings) -> dict:
    """The ceiling of ``corpus`` (its settings may differ from ``params.corpus``, for ablations)."""
    from lipsync.stages.training_stage import window_geometry
    from lipsync.training.ceiling import sync_ceiling

    started = time.perf_counter()
    splits = split_segments(params, corpus)
    articulated = time.perf_counter() - started
    expert = params.training.syncnet_expert
    figures = sync_ceiling(splits["train"], splits["test"], window_geometry(params), params.training.data,
                           expert.ceiling, expert.eval_pairs, params.training.seed)  # fmt: skip
    return {
        "speakers": corpus.speakers,
        "clips_per_speaker": corpus.clips_per_speaker,
        "segments": {name: len(part.segments) for name, part in splits.items()},
        "articulation_seconds": round(articulated, 1),
        "fit_seconds": round(time.perf_counter() - started - articulated, 1),
        "held_out_accuracy": round(figures["accuracy"], 4),
        "held_out_auc": round(figures["auc"], 4),
        "held_out_pairs": figures["pairs"],
        "train_accuracy": round(figures["train_accuracy"], 4),
        "train_auc": round(figures["train_auc"], 4),
    }


def split_segments(params: Params, corpus: CorpusSettings) -> dict:
    """{'train', 'val', 'test': MouthSegments} of every clip of ``corpus``, split by speaker."""
    from lipsync.audio.mel import log_mel, single_threaded_blas
    from lipsync.data.splits import speaker_split
    from lipsync.stages.training_stage import window_geometry
    from lipsync.training.ceiling import clip_segments, joined

    jobs = [(s, c) for s in range(corpus.speakers) for c in range(corpus.clips_per_speaker)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max(1, min(corpus.workers, len(jobs))), mp_context=context) as pool:
        clips = list(pool.map(_articulate, [corpus] * len(jobs), *zip(*jobs, strict=True)))
    parts: dict[str, list] = {"train": [], "val": [], "test": []}
    geometry = window_geometry(params)
    with single_threaded_blas():
        for (speaker, corpus_split, clip), (_, c) in zip(clips, jobs, strict=True):
            audio, mouth = clip
            segments = clip_segments(f"{speaker}-clip{c:02d}", log_mel(audio, params.mel), mouth, params.format.fps,
                                     params.shards.segment_frames, geometry)  # fmt: skip
            parts[speaker_split(speaker, params.shards.split, corpus_split)].append(segments)
    return {name: joined(found) for name, found in parts.items()}


def _articulate(corpus: CorpusSettings, speaker: int, clip: int) -> tuple[str, str, tuple[np.ndarray, np.ndarray]]:
    """(speaker id, the corpus's split of the speaker, (audio, mouth params)): the split as the
    shards take it from ``speakers.json`` (the built-in photos' speakers; a speaker's voice and
    mouth do not depend on its photo)."""
    from lipsync.corpus.articulation import articulate_clip

    done = articulate_clip(corpus, speaker, clip)
    return done.speaker.id, done.speaker.split, (done.speech.audio, done.mouth_params)
