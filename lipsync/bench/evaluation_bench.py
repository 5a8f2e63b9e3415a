"""Benchmark ``evaluation``: how fast the held-out clips are scored, and where the time goes.

Scores the copy-the-reference row of every held-out clip in both settings (reconstruction
against the real frames, cross-audio dubbing with the paired clip's audio) with the
registered evaluator, exactly as the ``evaluation`` stage scores each row, and reports the
throughput in clip-seconds per second (a multiple of real time) with the share of each
metric family (sync, image, LPIPS, landmarks, identity, temporal) in that time. The
evaluator's self-check (every clip against its audio shifted by each k) and our generator's
frame generation are timed beside it, so the stage's cost per row can be read off.
Needs a ``make run`` (the data stages and the registered evaluator and generator).
"""

from __future__ import annotations

import time

from lipsync.project import Project

FAMILIES = ("sync", "image", "lpips", "landmarks", "identity", "temporal")


def run(project: Project, quick: bool = False) -> dict:
    from lipsync.evaluation.clip import audio_pairing, dubbed
    from lipsync.evaluation.generate import copy_reference, generate_frames, reference_indices
    from lipsync.evaluation.scoring import Scorer
    from lipsync.evaluation.self_checks import shift_scores
    from lipsync.stages.evaluation_inputs import load_clips, load_evaluator, load_generators

    params, layout = project.params, project.layout
    settings = params.evaluation
    clips, _ = load_clips(params, layout, settings.split)
    clips = clips[:2] if quick else clips
    if len(clips) < 2:
        raise ValueError(f"bench evaluation: split {settings.split!r} has {len(clips)} clip(s); two are needed")
    evaluator, evaluator_ref = load_evaluator(params, layout)
    ours = load_generators(params, layout)["ours"][0]
    scorer = Scorer(settings, evaluator)
    pairing = audio_pairing(clips)
    mel_frames = params.models.generator.audio.mel_frames
    clip_seconds = sum(c.length for c in clips) / params.format.fps
    checks = generation = 0.0
    started = time.perf_counter()
    for index, clip in enumerate(clips):
        windows = clip.mel_windows(params.mel, mel_frames)
        references = reference_indices(clip.length, settings.reference_offset)
        copy, _ = generate_frames(copy_reference, clip.frames, windows, references, settings.batch)
        scorer.reconstruction(copy, clip)
        other = dubbed(clip, clips[pairing[index]])
        scorer.dubbing(other.frames, clip, other.audio, other.clip_id)
        t = time.perf_counter()
        shift_scores(evaluator, clip, settings.self_checks.shifts, settings.sync)
        checks += time.perf_counter() - t
        _, seconds = generate_frames(ours, clip.frames, windows, references, settings.batch)
        generation += seconds
    total = time.perf_counter() - started - checks - generation
    scoring = sum(scorer.seconds.values())
    return {
        "clips": len(clips),
        "clip_seconds": round(clip_seconds, 2),
        "evaluator": evaluator_ref["model"],
        "scoring": {
            "seconds": round(scoring, 2),
            "clip_seconds_per_second": round(clip_seconds / scoring, 2),
            "share": {f: round(scorer.seconds.get(f, 0.0) / scoring, 3) for f in FAMILIES},
            "other_seconds": round(total - scoring, 2),  # frame copies, pairing, bookkeeping
        },
        "self_checks": {
            "seconds": round(checks, 2),
            "clip_seconds_per_second": round(clip_seconds / checks, 2),
            "shifts": len(settings.self_checks.shifts),
        },
        "generation_ours": {
            "seconds": round(generation, 2),
            "frames_per_second": round(sum(c.length for c in clips) / generation, 1),
        },
        "lpips": (scorer.lpips.note or "computed").split(" (")[0],  # the reason, without the path
    }
