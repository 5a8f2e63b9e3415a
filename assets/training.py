"""Assets of the training stages: ``syncnet_expert``, ``generator``, ``wav2lip_baseline``
(group ``training``) and ``syncnet_evaluator`` (group ``evaluation``).

They differ only in their runner and catalogue text, so one factory builds them.
"""

from types import ModuleType

import dagster as dg

from assets import OWNERS, WRITER_POOL
from assets.metadata import image_metadata, mlflow_ui_url, number
from assets.resources import LipsyncProject
from lipsync.stages import generator as generator_stage
from lipsync.stages import registry
from lipsync.stages import syncnet_evaluator as evaluator_stage
from lipsync.stages import syncnet_expert as expert_stage
from lipsync.stages import wav2lip_baseline as wav2lip_stage
from lipsync.tracking.ui_links import model_version_url, run_url


def training_metadata(result: dict, layout, mlflow_ui: str) -> dict:
    """Registered model and MLflow run (links into the MLflow UI), budget, one entry per final
    evaluation metric (``eval/<name>``), the expert's sync ceiling (``ceiling/<name>``), the sample
    grid (generators)."""
    model = result["model"]
    meta = {
        "model": dg.MetadataValue.text(f"{model['name']} v{model['version']}"),
        "model_version": dg.MetadataValue.url(model_version_url(mlflow_ui, model["name"], model["version"])),
        "mlflow_run": dg.MetadataValue.url(run_url(mlflow_ui, result["experiment_id"], model["run_id"])),
        "run_id": dg.MetadataValue.text(model["run_id"]),
        "data_version": dg.MetadataValue.text(result["data_version"]),
        "steps": dg.MetadataValue.int(int(result["steps"])),
        "train_seconds": dg.MetadataValue.float(float(result["train_seconds"])),
        "samples_per_second": dg.MetadataValue.float(float(result["samples_per_second"])),
        **{f"eval/{name}": number(value) for name, value in result["metrics"].items()},
        **{f"ceiling/{name}": number(value) for name, value in (result.get("ceiling") or {}).items()},
        "result": dg.MetadataValue.path(str(layout.model_result(result["stage"]))),
    }
    grid = layout.sample_grid(result["stage"])
    return meta | (image_metadata("sample_grid", grid) if grid.exists() else {})


def training_asset(stage: ModuleType, description: str) -> dg.AssetsDefinition:
    entry = registry.stage(stage.STAGE)

    @dg.asset(name=entry.name, group_name=entry.group, deps=list(entry.upstream), kinds={"pytorch", "mlflow", "dvc"},
              owners=OWNERS, code_version="1", pool=WRITER_POOL, description=description)  # fmt: skip
    def _asset(context: dg.AssetExecutionContext, lipsync: LipsyncProject) -> dg.MaterializeResult:
        project = lipsync.open()
        result = stage.run(project.params, project.layout)
        context.log.info(f"{stage.STAGE}: {result['model']} {result['metrics']}")
        return dg.MaterializeResult(metadata=training_metadata(result, project.layout, mlflow_ui_url(project.params)))

    return _asset


syncnet_expert = training_asset(
    expert_stage,
    "The lip-sync expert (SyncNet: lower half of 5 frames vs a 16-step mel window), trained on the train "
    "shards; off-sync accuracy on the held-out speakers beside the sync ceiling (the same pairs judged from the "
    "corpus's true mouth parameters); registered as `syncnet-expert`.",
)
generator = training_asset(
    generator_stage,
    "Our generator (audio encoder, face encoder, cross-attention fusion, U-Net decoder, blend-mask compositor) "
    "trained with L1 + the frozen expert's sync loss; registered as `lipsync-generator`.",
)
wav2lip_baseline = training_asset(
    wav2lip_stage,
    "The published Wav2Lip generator trained from scratch on the same shards, with the same trainer and about "
    "the same wall-clock budget; registered as `wav2lip-baseline`.",
)
syncnet_evaluator = training_asset(
    evaluator_stage,
    "The LSE evaluator: syncnet_python's SyncNet network (MFCC audio tower, 5-frame 3D-conv face tower) at a "
    "CPU width, trained on the train shards with its own seed to find the audio offset nearest each face window; "
    "registered as `syncnet-evaluator` and reused while its params, code and data stay the same. Never a loss.",
)
