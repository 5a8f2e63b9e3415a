"""Dagster assets, one module per pipeline stage; each calls the stage's runner."""

import warnings

import dagster as dg

# single-run backfill policies are the point of our partitioned assets (few processes)
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

OWNERS = ["team:lipsync"]  # shown on every asset in the UI's catalogue
# Every asset writes under data/: one Dagster concurrency pool, of size 1 (pipelines/instance.py), so two
# runs (make run, the sensors, a retraining) never write at once; the stage runners also take a file lock.
WRITER_POOL = "lipsync_writer"
