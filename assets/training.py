"""Assets ``syncnet_expert``, ``generator`` and ``wav2lip_baseline`` (group ``training``)."""

import dagster as dg

from assets.metadata import image_metadata
from lipsync.stages import generator as generator_stage
from lipsync.stages import syncnet_expert as expert_stage
from lipsync.stages import wav2lip_baseline as wav2lip_stage
from pipelines.resources import LipsyncProject


def training_metadata(result: dict, layout) -> dict:
    """Run id, registered model version, final losses/metrics, budget, sample grid."""
    meta = {
        "run_id": result["model"]["run_id"],
        "model": f"{result['model']['name']} v{result['model']['version']}",
        "data_version": result["data_version"],
        "steps": result["steps"],
        "train_seconds": dg.MetadataValue.float(float(result["train_seconds"])),
        "samples_per_second": dg.MetadataValue.float(float(result["samples_per_second"])),
        "metrics": dg.MetadataValue.json(result["metrics"]),
        "result": dg.MetadataValue.path(str(layout.model_result(result["stage"]))),
    }
    grid = layout.training_logs(result["stage"]) / "sample_grid.png"
    if grid.exists():
        meta["sample_grid"] = image_metadata(grid)
    return meta


@dg.asset(group_name="training", deps=["shards"], code_version="1")
def syncnet_expert(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The lip-sync expert (SyncNet: lower half of 5 frames vs a 16-step mel window), trained on
    the train shards; off-sync accuracy on the held-out speakers; registered `syncnet-expert`."""
    project = lipsync.open()
    result = expert_stage.run(project.params, project.layout)
    context.log.info(f"syncnet_expert: {result['model']} {result['metrics']}")
    return dg.MaterializeResult(metadata=training_metadata(result, project.layout))


@dg.asset(group_name="training", deps=["shards", "syncnet_expert"], code_version="1")
def generator(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """Our generator (audio encoder, face encoder, cross-attention fusion, U-Net decoder, blend-mask
    compositor) trained with L1 + the frozen expert's sync loss; registered `lipsync-generator`."""
    project = lipsync.open()
    result = generator_stage.run(project.params, project.layout)
    context.log.info(f"generator: {result['model']} {result['metrics']}")
    return dg.MaterializeResult(metadata=training_metadata(result, project.layout))


@dg.asset(group_name="training", deps=["shards", "syncnet_expert"], code_version="1")
def wav2lip_baseline(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
    """The published Wav2Lip generator trained from scratch on the same shards with the same
    trainer and about the same wall-clock budget; registered `wav2lip-baseline`."""
    project = lipsync.open()
    result = wav2lip_stage.run(project.params, project.layout)
    context.log.info(f"wav2lip_baseline: {result['model']} {result['metrics']}")
    return dg.MaterializeResult(metadata=training_metadata(result, project.layout))
