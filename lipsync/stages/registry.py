"""The one list of pipeline stages: what each is called, reads and produces.

A stage is five things under one name: this entry, its runner ``lipsync/stages/<name>.py``,
its DVC stage (``dvc.yaml``), its Dagster asset and its test ``tests/stages/test_<name>.py``,
plus a row in the README's stage table. The pipelines (jobs, groups), the CLI (``lipsync run``
choices) and the tests read this list; ``tests/stages/test_registry.py`` checks that every
entry has all five and that DVC tracks exactly the params listed here.

No imports beyond the standard library: the CLI reads this before any heavy module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["whole", "per_video", "training"]


@dataclass(frozen=True)
class Stage:
    """name: the one name (params section, runner, DVC stage, asset, output folder, test).
    kind: ``whole`` (one run over everything), ``per_video`` (one Dagster partition per video,
        incremental) or ``training`` (a registered model).
    group: the Dagster asset group. upstream: stages whose outputs it reads.
    params: the ``params.yaml`` keys it reads (dotted), besides ``profile``: what DVC tracks
        and, for training stages, what MLflow logs, under the same dotted names.
    architecture: the ``models.*`` section of the model it trains, if any.
    registered_model: the MLflow registered model name (global, so it carries the product's name).
    code: the sources it runs (files or folders): DVC's code deps, and for training stages part
        of the fingerprint that decides whether a registered model is still current.
    """

    name: str
    kind: Kind
    group: str
    upstream: tuple[str, ...]
    params: tuple[str, ...]
    code: tuple[str, ...] = ()
    architecture: str | None = None
    registered_model: str | None = None


TRAINING_CODE = ("lipsync/stages/training_stage.py", "lipsync/training", "lipsync/models")
GENERATOR_CODE = ("lipsync/stages/generator_inputs.py", "lipsync/stages/mouth_truth.py", *TRAINING_CODE)

# the per-video runner and its pinned workers (records.video_pool)
PER_VIDEO_CODE = ("lipsync/stages/per_video.py", "lipsync/stages/records.py", "lipsync/corpus/baseline_cpu.py")

# what the photos stage's mouth check renders with (the corpus's renderer, speakers' looks; their
# random stream starts with the speech ranges)
MOUTH_CHECK_PARAMS = ("corpus.frame_size", "corpus.framing", "corpus.lighting", "corpus.mouth", "corpus.speech")

STAGES: tuple[Stage, ...] = (
    Stage("photos", "whole", "data", (), ("corpus.seed", "corpus.photos", *MOUTH_CHECK_PARAMS, "faces.detector",
                                          "evaluation.faces"),
          code=("lipsync/stages/photos.py", "lipsync/photos", "lipsync/corpus")),
    Stage("corpus", "whole", "data", ("photos",), ("format", "corpus"),
          code=("lipsync/stages/corpus.py", "lipsync/corpus", "lipsync/media/writer.py")),
    Stage("ingest", "per_video", "data", ("corpus",), ("format", "ingest"),
          code=("lipsync/stages/ingest.py", "lipsync/stages/ingest_duplicates.py", *PER_VIDEO_CODE, "lipsync/ingest",
                "lipsync/media")),
    Stage("faces", "per_video", "data", ("ingest",), ("format", "faces"),
          code=("lipsync/stages/faces.py", *PER_VIDEO_CODE, "lipsync/faces")),
    Stage("mel", "per_video", "data", ("ingest",), ("format", "mel"),
          code=("lipsync/stages/mel.py", *PER_VIDEO_CODE, "lipsync/audio")),
    Stage("shards", "whole", "data", ("faces", "mel"), ("seed", "format", "shards"),  # + corpus speakers.json
          code=("lipsync/stages/shards.py", "lipsync/data")),
    Stage(
        "syncnet_expert", "training", "training", ("shards",),
        ("format", "mel", "models.syncnet", "training.seed", "training.data", "training.syncnet_expert"),
        code=("lipsync/stages/syncnet_expert.py", "lipsync/stages/mouth_truth.py", *TRAINING_CODE),
        architecture="models.syncnet", registered_model="syncnet-expert",
    ),
    Stage(
        "syncnet_evaluator", "training", "evaluation", ("shards",),
        ("format", "mel", "shards.segment_frames", "models.syncnet_evaluator", "training.data",
         "training.syncnet_evaluator"),
        code=("lipsync/stages/syncnet_evaluator.py", "lipsync/evaluation/syncnet_v2.py", "lipsync/evaluation/mfcc.py",
              *TRAINING_CODE),
        architecture="models.syncnet_evaluator", registered_model="syncnet-evaluator",
    ),
    Stage(
        "syncfilter", "whole", "training", ("shards", "syncnet_evaluator"),
        ("format", "mel", "shards.mtime", "models.syncnet_evaluator", "syncfilter"),
        code=("lipsync/stages/syncfilter.py", "lipsync/evaluation/sync_filter.py", "lipsync/evaluation/sync_clip.py",
              "lipsync/evaluation/sync.py", "lipsync/evaluation/mfcc.py", "lipsync/evaluation/syncnet_v2.py",
              "lipsync/data"),
    ),
    Stage(
        "generator", "training", "training", ("syncfilter", "syncnet_expert"),
        ("format", "mel", "faces.crop", "models.generator", "models.discriminator", "models.syncnet",
         "training.seed", "training.data", "training.mouth_box", "training.generator"),
        code=("lipsync/stages/generator.py", *GENERATOR_CODE),
        architecture="models.generator", registered_model="lipsync-generator",
    ),
    Stage(
        "wav2lip_baseline", "training", "training", ("syncfilter", "syncnet_expert"),
        ("format", "mel", "faces.crop", "models.syncnet", "training.seed", "training.data", "training.mouth_box",
         "training.wav2lip_baseline"),
        code=("lipsync/stages/wav2lip_baseline.py", *GENERATOR_CODE),
        registered_model="wav2lip-baseline",
    ),
    Stage(
        "evaluation", "whole", "evaluation", ("shards", "syncnet_evaluator", "generator", "wav2lip_baseline"),
        ("format", "mel", "faces.crop", "training.mouth_box", "models.generator", "models.syncnet_evaluator",
         "evaluation"),
        code=("lipsync/stages/evaluation.py", "lipsync/stages/evaluation_inputs.py",
              "lipsync/stages/evaluation_summary.py", "lipsync/stages/mouth_truth.py", "lipsync/evaluation"),
    ),
    Stage(
        "promote", "whole", "evaluation", ("evaluation",),
        ("format", "mel", "faces.crop", "training.mouth_box", "models.generator", "models.syncnet_evaluator",
         "evaluation", "promote"),
        code=("lipsync/stages/promote.py", "lipsync/stages/promote_champion.py",
              "lipsync/stages/promote_rescore.py", "lipsync/stages/promote_report.py",
              "lipsync/tracking/promotion_rule.py", "lipsync/tracking/promotion.py"),
    ),
    Stage(
        "benchmark", "whole", "evaluation", ("promote",), ("format", "models.generator", "evaluation", "benchmark"),
        code=("lipsync/stages/benchmark.py", "lipsync/evaluation/report.py"),
    ),
)  # fmt: skip

BY_NAME = {stage.name: stage for stage in STAGES}


def stage(name: str) -> Stage:
    """The entry of ``name``; KeyError listing the stages when there is none."""
    if name not in BY_NAME:
        raise KeyError(f"unknown stage '{name}' (stages: {', '.join(BY_NAME)})")
    return BY_NAME[name]


def stages_of(kind: Kind | None = None, group: str | None = None) -> tuple[Stage, ...]:
    """The stages of one kind and/or group, in pipeline order."""
    return tuple(s for s in STAGES if (kind is None or s.kind == kind) and (group is None or s.group == group))
