"""Jobs, from the stage registry. Partitioned work runs in one process (in-process executor,
single-run backfills)."""

from __future__ import annotations

import dagster as dg

from assets.dvc_record import COMMIT_TAG
from lipsync.stages.registry import STAGES, stages_of

DATA_STAGES = [s.name for s in stages_of(group="data") if s.name not in ("photos", "corpus")]
# the trainings, and the syncfilter stage between the evaluator and the generators
TRAINING_STAGES = [s.name for s in STAGES if s.kind == "training" or s.group == "training"]

corpus_job = dg.define_asset_job(
    "corpus_job", selection=["photos", "corpus"], executor_def=dg.in_process_executor,
    description="Find the corpus's faces (photos), then generate the embedded synthetic corpus.",
)  # fmt: skip
data_job = dg.define_asset_job(
    "data_job", selection=DATA_STAGES, executor_def=dg.in_process_executor,
    description="Raw videos (a range of video partitions) to versioned WebDataset shards.",
)  # fmt: skip
training_job = dg.define_asset_job(
    "training_job", selection=TRAINING_STAGES, executor_def=dg.in_process_executor,
    description="Shards to registered models: the expert and the evaluator, the sync-confidence filter of the "
    "generators' clips, then our generator and the Wav2Lip baseline.",
)  # fmt: skip
evaluation_job = dg.define_asset_job(
    "evaluation_job", selection=["evaluation", "promote", "benchmark"], executor_def=dg.in_process_executor,
    description="Registered models to the benchmark report: every metric on the held-out clips, the promotion "
    "decision (champion or not) for each candidate, then the report, which ends with that decision.",
)  # fmt: skip
retraining_job = dg.define_asset_job(
    "retraining_job", selection=[*TRAINING_STAGES, "evaluation", "promote", "benchmark"],
    executor_def=dg.in_process_executor, tags={COMMIT_TAG: "true"},
    description="The loop's retraining: training (unchanged models are reused), evaluation, promotion and the "
    "benchmark report; then the outputs are recorded in dvc.lock. Started by the weekly schedule and the new-clips "
    "sensor.",
)  # fmt: skip
