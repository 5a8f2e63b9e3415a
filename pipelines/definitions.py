"""The one Dagster ``Definitions`` object of the project (loaded by workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from assets.corpus import corpus
from assets.evaluation import benchmark, evaluation
from assets.faces import faces
from assets.ingest import ingest, ingest_rejected_share
from assets.mel import mel
from assets.photos import photos
from assets.promote import promote
from assets.resources import LipsyncProject
from assets.shards import shards
from assets.syncfilter import syncfilter
from assets.training import generator, syncnet_evaluator, syncnet_expert, wav2lip_baseline
from pipelines.batch_inference import batch_inference
from pipelines.jobs import corpus_job, data_job, evaluation_job, retraining_job, training_job
from pipelines.retraining import new_clips_since_champion, retraining_schedule
from pipelines.sensors import new_raw_videos

defs = dg.Definitions(
    assets=[
        photos,
        corpus,
        ingest,
        faces,
        mel,
        shards,
        syncfilter,
        syncnet_expert,
        syncnet_evaluator,
        generator,
        wav2lip_baseline,
        evaluation,
        benchmark,
        promote,
    ],
    asset_checks=[ingest_rejected_share],
    jobs=[corpus_job, data_job, training_job, evaluation_job, retraining_job, batch_inference],
    schedules=[retraining_schedule],
    sensors=[new_raw_videos, new_clips_since_champion],
    resources={"lipsync": LipsyncProject()},
)
