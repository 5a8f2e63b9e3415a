"""Re-score a champion with the evaluation that scored the candidate.

Figures are comparable only when the same evaluator measured them on the same held-out clips
with the same evaluation params: the ``evaluation`` summary's evaluator and its version
(``data_version``: the shards' version and the ``evaluation`` section). A champion whose
recorded figures came from another evaluation (new clips retrain the evaluator, so new data
always means a new one) is scored again here, as the ``evaluation`` stage scores a generator
row: the same clips, reference frames, audio pairing, building blocks and evaluator, its
weights loaded from the registry by version (weights only). The figures are logged as an
MLflow run in experiment ``evaluation`` (row ``champion``) and become the champion's tags.
"""

from __future__ import annotations

import logging

import pandas as pd

from lipsync.config import Params
from lipsync.layout import Layout
from lipsync.stages.evaluation_inputs import load_clips, load_evaluator
from lipsync.stages.evaluation_summary import METRICS

log = logging.getLogger("lipsync")


def rescore(params: Params, layout: Layout, client, stage: str, ref, summary: dict) -> tuple[dict, str]:
    """({"<setting>/<metric>": mean or None}, MLflow run id) of registered version ``ref`` (a
    :class:`ModelRef` of ``stage``'s model), scored like the evaluation ``summary`` scored its rows.

    Raises RuntimeError when the evaluation on disk is not the one ``summary`` describes (another
    evaluator or other clips now: rerun the evaluation first)."""
    from lipsync.evaluation.clip import audio_pairing, dubbed
    from lipsync.evaluation.generate import generate_frames, model_generator, reference_indices
    from lipsync.evaluation.scoring import Scorer
    from lipsync.tracking import load_state_dict

    evaluator, evaluator_ref = load_evaluator(params, layout)
    if evaluator_ref["model"] != summary["evaluator"]["model"]:
        raise RuntimeError(f"promote: the evaluation was scored by {summary['evaluator']['model']} but the evaluator "
                           f"is now {evaluator_ref['model']}: rerun `lipsync run evaluation` first")  # fmt: skip
    settings = params.evaluation
    clips, _ = load_clips(params, layout, settings.split)
    if len(clips) != summary["clips"]:
        raise RuntimeError(f"promote: the evaluation scored {summary['clips']} clips, {len(clips)} are there now: "
                           "rerun `lipsync run evaluation` first")  # fmt: skip
    model = _model(params, stage)
    model.load_state_dict(load_state_dict(client, ref))
    generate, scorer, pairing = model_generator(model), Scorer(settings, evaluator), audio_pairing(clips)
    mel_frames = params.models.generator.audio.mel_frames
    rows = []
    for index, clip in enumerate(clips):
        log.info("promote: re-scoring %s v%d, clip %d of %d", ref.name, ref.version, index + 1, len(clips))
        references = reference_indices(clip.length, settings.reference_offset)
        windows = clip.mel_windows(params.mel, mel_frames)
        frames, _ = generate_frames(generate, clip.frames, windows, references, settings.batch)
        rows.append({"setting": "reconstruction", **scorer.reconstruction(frames, clip).metrics})
        if len(clips) > 1:
            other = dubbed(clip, clips[pairing[index]])
            windows = other.mel_windows(params.mel, mel_frames)
            references = reference_indices(other.length, settings.reference_offset)
            frames, _ = generate_frames(generate, other.frames, windows, references, settings.batch)
            rows.append({"setting": "cross_audio", **scorer.dubbing(frames, clip, other.audio, other.clip_id).metrics})
    figures = _means(pd.DataFrame(rows))
    return figures, _track(layout, client, ref, summary, figures)


def _model(params: Params, stage: str):
    from lipsync.models import LipSyncGenerator, Wav2Lip

    builders = {"generator": lambda: LipSyncGenerator(params.models.generator), "wav2lip_baseline": Wav2Lip}
    if stage not in builders:
        raise KeyError(f"promote: cannot re-score stage {stage!r} (re-scorable: {', '.join(builders)})")
    return builders[stage]()


def _means(frame: pd.DataFrame) -> dict[str, float | None]:
    """``{"<setting>/<metric>": mean over clips}`` (NaN left out; None when no clip has a value)."""
    out = {}
    for setting, group in frame.groupby("setting", sort=False):
        for metric in METRICS:
            if metric in group:
                kept = pd.to_numeric(group[metric], errors="coerce").dropna()
                out[f"{setting}/{metric}"] = float(kept.mean()) if len(kept) else None
    return out


def _track(layout: Layout, client, ref, summary: dict, figures: dict) -> str:
    """The re-score as a finished run of experiment ``evaluation`` (metrics ``<setting>/champion/<metric>``)."""
    from lipsync.tracking import ensure_experiment

    experiment = ensure_experiment(client, "evaluation", layout.mlruns)
    tags = {"data_version": summary["data_version"], "evaluator": summary["evaluator"]["model"],
            "lse_reliable": str(summary["lse_reliable"]).lower(), "model.champion": f"{ref.name} v{ref.version}",
            "rescore_of_champion": "true"}  # fmt: skip
    run = client.create_run(experiment, run_name=f"rescore-{ref.name}-v{ref.version}", tags=tags)
    for key, value in figures.items():
        if value is not None:
            setting, metric = key.split("/")
            client.log_metric(run.info.run_id, f"{setting}/champion/{metric}", value)
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id
