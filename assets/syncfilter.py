"""Asset ``syncfilter``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.metadata import number
from assets.resources import LipsyncProject
from lipsync.stages import syncfilter as stage


@dg.asset(
    group_name="training",
    deps=["shards", "syncnet_evaluator"],
    kinds={"webdataset", "dvc"},
    owners=OWNERS,
    code_version="1",
    pool=WRITER_POOL,
)
def syncfilter(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The generators' train shards, filtered by sync confidence (LatentSync's recipe): every
    train clip scored by the registered evaluator (AV offset, confidence); clips under
    `syncfilter.min_confidence` or beyond `syncfilter.max_offset` dropped, small offsets
    realigned to 0. The expert and the evaluator keep the unfiltered shards."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout)
    context.log.info(f"syncfilter: clips {summary['clips']}, segments {summary['segments']}")
    if not summary["applied"]:
        context.log.warning(f"syncfilter: every clip kept: {summary['reason']}")
    truth = summary["ground_truth"] or {}
    figures = {f"clips_{name}": count for name, count in summary["clips"].items()}
    figures |= {f"segments_{name}": count for name, count in summary["segments"].items()}
    figures |= {
        f"truth/{name}": truth.get(name)
        for name in ("dirty", "precision", "recall", "offset_precision", "offset_recall", "realigned_correct")
    }
    return dg.MaterializeResult(
        data_version=dg.DataVersion(summary["data_version"]),
        metadata={
            "data_version": summary["data_version"],
            "applied": dg.MetadataValue.bool(summary["applied"]),
            "applied_reason": dg.MetadataValue.text(summary["reason"]),
            **{name: number(value) for name, value in figures.items() if value is not None},
            "evaluator": dg.MetadataValue.text(f"{summary['evaluator']['name']} v{summary['evaluator']['version']}"),
            "run_seconds": dg.MetadataValue.float(float(summary["seconds"])),
            "manifest": dg.MetadataValue.path(summary["manifest"]),
        },
    )
