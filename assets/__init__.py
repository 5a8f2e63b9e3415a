"""Dagster assets, one module per pipeline stage; each calls the stage's runner."""

import warnings

import dagster as dg

# single-run backfill policies are the point of our partitioned assets (few processes)
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

OWNERS = ["team:lipsync"]  # shown on every asset in the UI's catalogue
