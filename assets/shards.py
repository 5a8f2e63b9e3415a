"""Asset ``shards``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.resources import LipsyncProject
from lipsync.layout import SPLITS
from lipsync.stages import shards as stage


@dg.asset(
    group_name="data",
    deps=["faces", "mel"],
    kinds={"webdataset", "dvc"},
    owners=OWNERS,
    code_version="1",
    pool=WRITER_POOL,
)
def shards(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """WebDataset tar shards per split (by speaker), segments of aligned face crops + mel +
    boxes/landmarks; the data version is the content hash of the shard set."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout)
    for warning in summary["warnings"]:
        context.log.warning(f"shards: {warning}")
    per_split = {
        f"{figure}_{split}": dg.MetadataValue.int(int(summary[figure][split]))
        for figure in ("samples", "shards")
        for split in SPLITS
    }
    return dg.MaterializeResult(
        data_version=dg.DataVersion(summary["data_version"]),
        metadata={
            "data_version": summary["data_version"],
            **per_split,
            "speakers": dg.MetadataValue.json(summary["speakers"]),
            "run_seconds": dg.MetadataValue.float(float(summary["seconds"])),
            "samples_per_second": dg.MetadataValue.float(float(summary["samples_per_second"] or 0.0)),
            "manifest": dg.MetadataValue.path(summary["manifest"]),
        },
    )
