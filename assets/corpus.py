"""Asset ``corpus``."""

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.resources import LipsyncProject
from lipsync.stages import corpus as stage


@dg.asset(
    group_name="data", deps=["photos"], kinds={"python", "dvc"}, owners=OWNERS, code_version="2", pool=WRITER_POOL
)
def corpus(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The embedded synthetic talking-head corpus: real face photographs with a speech-driven
    mouth, espeak-ng speech, H.264 + AAC mp4s at 25 fps / 16 kHz, per-frame ground truth.
    Deterministic for a given `corpus` params section."""
    project = lipsync.open()
    summary = stage.run(project.params, project.layout)
    context.log.info(f"corpus: {summary['videos']} videos in {summary['elapsed_seconds']:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "videos": dg.MetadataValue.int(int(summary["videos"])),
            "video_seconds": dg.MetadataValue.float(float(summary["seconds"])),
            "train_speakers": dg.MetadataValue.int(len(summary["train_speakers"])),
            "val_speakers": dg.MetadataValue.int(len(summary["val_speakers"])),
            "test_speakers": dg.MetadataValue.int(len(summary["test_speakers"])),
            "run_seconds": dg.MetadataValue.float(float(summary["elapsed_seconds"])),
            "speakers": dg.MetadataValue.json({"train": summary["train_speakers"], "test": summary["test_speakers"]}),
            "folder": dg.MetadataValue.path(summary["folder"]),
        }
    )
