"""Jobs. Partitioned work runs in one process (in-process executor, single-run backfills)."""

from __future__ import annotations

import dagster as dg

corpus_job = dg.define_asset_job(
    "corpus_job", selection=["corpus"], executor_def=dg.in_process_executor,
    description="Generate the embedded synthetic corpus.",
)
data_job = dg.define_asset_job(
    "data_job", selection=["ingest", "faces", "mel", "shards"], executor_def=dg.in_process_executor,
    description="Raw videos (a range of video partitions) to versioned WebDataset shards.",
)
training_job = dg.define_asset_job(
    "training_job", selection=["syncnet_expert", "generator", "wav2lip_baseline"], executor_def=dg.in_process_executor,
    description="Shards to registered models: the expert, then our generator and the Wav2Lip baseline.",
)
