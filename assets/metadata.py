"""Dagster metadata from a stage runner's summary: one entry per figure, images as files.

Per-video stages (``ingest``, ``faces``, ``mel``) run a whole range of ``videos`` partitions
in one run (single-run backfill). Dagster then records one materialization per partition,
and metadata returned in ``MaterializeResult`` is copied onto every one of them. So:

- each partition gets its own video's metadata (:func:`report_partitions`, through
  ``context.add_asset_metadata(partition_key=...)``): speaker, clip, status and its figures;
- the batch's totals (videos processed, seconds, throughput, rejections, images) are
  reported once per run, as one observation of the asset (:func:`report_batch`), which the
  run's log, the asset's Events tab and its plots over time show.

Images stay files on disk. The Dagster UI renders markdown metadata in place on asset
pages only when it is shorter than 1,000 characters and hides longer markdown behind
"[Show Markdown]" (``MetadataEntry.tsx`` in dagster-webserver 1.13), so an image gets three
entries: ``<name>`` a small inline thumbnail (under that limit), ``<name>_preview`` a
readable one behind the button, ``<name>_file`` the file's path.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import cv2
import dagster as dg
import numpy as np
import pandas as pd

from lipsync.layout import Layout

COUNTS = ("videos", "processed", "up_to_date", "ok", "rejected", "skipped", "failed", "duplicates", "skipped_entries")
INLINE_MARKDOWN_LIMIT = 1000  # characters; the Dagster UI shows shorter markdown in place
PREVIEW_SIDE = 384  # pixels, the longer side of the preview behind "[Show Markdown]"


def report_partitions(
    context: dg.AssetExecutionContext, layout: Layout, manifest: Path | str, figures: dict[str, str]
) -> None:
    """Metadata per materialized partition: speaker, clip, source, status, reason, notes, and
    ``figures`` (metadata label -> column of the stage's Parquet ``manifest``) as numbers."""
    rows = _video_rows(layout, Path(manifest))
    for video_id in context.partition_keys:
        context.add_asset_metadata(_video_metadata(rows.get(video_id, {}), figures), partition_key=video_id)


def report_batch(
    context: dg.AssetExecutionContext, summary: dict, throughput_key: str | None = None, extra: dict | None = None
) -> None:
    """The run's totals as one observation of the asset: counts, seconds, throughput
    (``<throughput_key>_per_second``), rejected files with their reasons, notes, data version,
    manifest path, and ``extra`` entries (images)."""
    meta: dict = {k: dg.MetadataValue.int(int(summary[k])) for k in COUNTS if k in summary}
    meta["run_seconds"] = dg.MetadataValue.float(float(summary["seconds"]))
    if throughput_key and summary.get(throughput_key):
        rate = summary[throughput_key] / max(summary["seconds"], 1e-9)
        meta[f"{throughput_key}_per_second"] = dg.MetadataValue.float(round(float(rate), 2))
    meta["rejections"] = dg.MetadataValue.md(_bullets(summary.get("rejections")) or "none")
    if summary.get("failures"):  # machine faults (out of memory, disk full): retried on the next run
        meta["failures"] = dg.MetadataValue.md(_bullets(summary["failures"]))
    if summary.get("skipped_reasons"):  # ingest: raw-folder entries passed over, by path
        meta["skipped_entries_reasons"] = dg.MetadataValue.md(_bullets(summary["skipped_reasons"]))
    if summary.get("notes"):
        meta["notes"] = dg.MetadataValue.md(_bullets(summary["notes"]))
    if summary.get("data_version"):
        meta["data_version"] = dg.MetadataValue.text(summary["data_version"])
    if summary.get("manifest"):
        meta["manifest"] = dg.MetadataValue.path(summary["manifest"])
    counts = ", ".join(
        f"{summary[k]} {k.replace('_', ' ')}"
        for k in ("processed", "up_to_date", "rejected", "failed", "duplicates")
        if k in summary
    )
    description = f"This run's batch of {summary.get('videos', 0)} videos: {counts}."
    context.log_event(
        dg.AssetObservation(asset_key=context.asset_key, description=description, metadata=meta | (extra or {}))
    )


def image_metadata(name: str, path: Path) -> dict[str, dg.MetadataValue]:
    """``name``: inline thumbnail, ``name_preview``: a readable preview, ``name_file``: the path."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{path} is not a readable image (expected the stage to have written it)")
    alt = name.replace("_", " ")
    preview = _data_uri(_fit(image, PREVIEW_SIDE), quality=80)
    return {
        name: dg.MetadataValue.md(_inline_thumbnail(image, alt)),
        f"{name}_preview": dg.MetadataValue.md(f"![{alt}]({preview})"),
        f"{name}_file": dg.MetadataValue.path(str(path)),
    }


def mlflow_ui_url(params) -> str:
    """The MLflow UI's address (``tracking.ui_url`` in params.yaml)."""
    return params.tracking.ui_url


def number(value: float | int) -> dg.MetadataValue:
    """An int entry for whole counts, a float entry (6 significant digits) otherwise; both are charted."""
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return dg.MetadataValue.int(int(value))
    return dg.MetadataValue.float(float(f"{value:.6g}"))


def _video_rows(layout: Layout, manifest: Path) -> dict[str, dict]:
    """video id -> the ingest manifest's speaker, clip and source merged with ``manifest``'s row."""
    names = pd.read_parquet(layout.ingest_manifest, columns=["video_id", "speaker", "clip", "source"])
    rows = pd.read_parquet(manifest)
    merged = names.merge(rows, on="video_id", how="right", suffixes=("", "_stage"))
    return {row["video_id"]: row for row in merged.to_dict("records")}


def _video_metadata(row: dict, figures: dict[str, str]) -> dict:
    meta = {key: dg.MetadataValue.text(str(row[key])) for key in ("speaker", "clip", "status") if _present(row, key)}
    if _present(row, "source"):
        meta["source"] = dg.MetadataValue.path(str(row["source"]))
    for key in ("reason", "notes"):
        if _present(row, key) and row[key]:
            meta[key] = dg.MetadataValue.text(str(row[key]))
    for label, column in figures.items():
        if _present(row, column):
            meta[label] = number(row[column])
    return meta


def _present(row: dict, key: str) -> bool:
    value = row.get(key)
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def _bullets(items: dict | None) -> str:
    return "\n".join(f"- `{name}`: {text}" for name, text in (items or {}).items())


def _inline_thumbnail(image: np.ndarray, alt: str) -> str:
    """The largest thumbnail whose markdown stays under the inline limit (WebP, down to 48 px)."""
    for side in (128, 112, 96, 80, 72, 64, 56, 48):
        for quality in (50, 25, 10):
            markdown = f"![{alt}]({_data_uri(_fit(image, side), quality)})"
            if len(markdown) < INLINE_MARKDOWN_LIMIT:
                return markdown
    return f"*{alt}: see {alt} preview*"


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` scaled so its longer side is ``side`` px (never enlarged)."""
    height, width = image.shape[:2]
    factor = min(1.0, side / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA) if factor < 1.0 else image


def _data_uri(image: np.ndarray, quality: int) -> str:
    ok, encoded = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode a WebP thumbnail")
    return "data:image/webp;base64," + base64.b64encode(encoded.tobytes()).decode()
