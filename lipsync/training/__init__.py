"""Training: data views, the loop shared by all models, the expert and generator trainers.

| module | what |
|---|---|
| ``settings`` | :class:`TrainingSettings`, the ``training:`` section of ``params.yaml`` |
| ``windows`` | timing of sync windows; the generator's training windows (pure numpy) |
| ``pairs`` / ``augment`` | the expert's pairs and training groups; their augmentations |
| ``data`` | :class:`BatchStream`: seeded, resumable WebDataset batches per rank |
| ``evalsets`` | :func:`read_split`: a whole held-out split in memory |
| ``loop`` / ``task`` | :func:`train`: steps, checkpoints, resume, loss guard, logs, callbacks; the task protocol |
| ``state`` / ``guard`` / ``logs`` | checkpoint files, the NaN/explosion guard, train.log + metrics.json |
| ``distributed`` | torchrun / DDP set-up (gloo on CPU, NCCL on CUDA) |
| ``expert`` | :func:`train_expert`, :func:`expert_accuracy` (off-sync classification) |
| ``ceiling`` | :func:`sync_ceiling`: the same pairs judged by a perfect eye (true mouth params) |
| ``generator`` | :func:`train_generator` for ours and Wav2Lip; ``generator_adapters`` calls them alike |
| ``generator_eval`` / ``mouth`` | mouth-region L1 vs the copy baseline, sync-loss ratio, sample grid |
| ``perceptual`` | the optional VGG feature loss (weights by path only) |
"""

from lipsync.lazy_exports import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "AdversarialSettings": "lipsync.training.settings",
        "AugmentSettings": "lipsync.training.augment",
        "BatchStream": "lipsync.training.data",
        "Callbacks": "lipsync.training.task",
        "CeilingSettings": "lipsync.training.settings",
        "DataPosition": "lipsync.training.data",
        "DataSettings": "lipsync.training.settings",
        "Distributed": "lipsync.training.distributed",
        "ExpertEvalSet": "lipsync.training.expert",
        "ExpertTask": "lipsync.training.expert",
        "ExpertTrainingSettings": "lipsync.training.settings",
        "GeneratorEvalSet": "lipsync.training.generator_eval",
        "GeneratorTask": "lipsync.training.generator",
        "GeneratorTrainingSettings": "lipsync.training.settings",
        "LandmarkMouthBoxes": "lipsync.training.generator_eval",
        "LoopSettings": "lipsync.training.settings",
        "LossGuard": "lipsync.training.guard",
        "LossTerm": "lipsync.training.task",
        "MouthBoxSettings": "lipsync.training.settings",
        "OursAdapter": "lipsync.training.generator_adapters",
        "PerceptualSettings": "lipsync.training.settings",
        "RunPaths": "lipsync.training.task",
        "RunSetup": "lipsync.training.task",
        "ShardSource": "lipsync.training.task",
        "ShardError": "lipsync.training.data",
        "Task": "lipsync.training.task",
        "TrainingDiverged": "lipsync.training.guard",
        "TrainingSettings": "lipsync.training.settings",
        "TrainingSummary": "lipsync.training.task",
        "Wav2LipAdapter": "lipsync.training.generator_adapters",
        "WindowAugmentSettings": "lipsync.training.augment",
        "WindowGeometry": "lipsync.training.windows",
        "box_mask": "lipsync.training.mouth",
        "collate_expert": "lipsync.training.data",
        "collate_generator": "lipsync.training.data",
        "evaluate_generator": "lipsync.training.generator_eval",
        "expert_accuracy": "lipsync.training.expert",
        "sync_ceiling": "lipsync.training.ceiling",
        "expert_eval_set": "lipsync.training.expert",
        "expert_groups": "lipsync.training.pairs",
        "expert_pairs": "lipsync.training.pairs",
        "expert_sync_loss": "lipsync.training.generator_adapters",
        "expert_view": "lipsync.training.pairs",
        "generator_eval_set": "lipsync.training.generator_eval",
        "generator_view": "lipsync.training.windows",
        "generator_windows": "lipsync.training.windows",
        "leak_free_original": "lipsync.training.generator_adapters",
        "mouth_boxes_from_landmarks": "lipsync.training.mouth",
        "mouth_l1": "lipsync.training.mouth",
        "ranking_auc": "lipsync.training.expert",
        "read_split": "lipsync.training.evalsets",
        "sample_grid": "lipsync.training.generator_eval",
        "setup": "lipsync.training.distributed",
        "shard_urls": "lipsync.training.data",
        "teardown": "lipsync.training.distributed",
        "train": "lipsync.training.loop",
        "train_expert": "lipsync.training.expert",
        "train_generator": "lipsync.training.generator",
    },
)
__all__ = sorted(__dir__())
