"""Turn a stage runner's summary into Dagster materialization metadata."""

import base64
from pathlib import Path

import dagster as dg

COUNTS = ("videos", "processed", "up_to_date", "ok", "rejected", "skipped")


def stage_metadata(summary: dict, throughput_key: str | None = None) -> dict:
    """Counts, the rejected files with their reasons, throughput and the manifest path."""
    meta: dict = {k: summary[k] for k in COUNTS if k in summary}
    meta["seconds"] = dg.MetadataValue.float(float(summary["seconds"]))
    if throughput_key and summary.get(throughput_key):
        meta["throughput"] = dg.MetadataValue.text(
            f"{summary[throughput_key] / max(summary['seconds'], 1e-9):.1f}"
            f" {throughput_key.replace('_', ' ')} per second"
        )
    rejections = summary.get("rejections") or {}
    meta["rejections"] = dg.MetadataValue.md(
        "\n".join(f"- `{name}`: {reason}" for name, reason in rejections.items()) or "none"
    )
    if summary.get("notes"):
        meta["notes"] = dg.MetadataValue.md("\n".join(f"- `{n}`: {t}" for n, t in summary["notes"].items()))
    if summary.get("data_version"):
        meta["data_version"] = summary["data_version"]
    if summary.get("manifest"):
        meta["manifest"] = dg.MetadataValue.path(summary["manifest"])
    return meta


def image_metadata(path: Path) -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (markdown with a data URI)."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return dg.MetadataValue.md(f"![contact sheet](data:image/png;base64,{data})")
