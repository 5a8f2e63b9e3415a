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
| ``generator`` | :func:`train_generator` for ours and Wav2Lip; ``generator_adapters`` calls them alike |
| ``generator_eval`` / ``mouth`` | mouth-region L1 vs the copy baseline, sync-loss ratio, sample grid |
| ``perceptual`` | the optional VGG feature loss (weights by path only) |
| ``launch`` | ``python -m lipsync.training.launch``: one run, under torchrun or not |
"""

from lipsync.training.augment import AugmentSettings, WindowAugmentSettings
from lipsync.training.data import BatchStream, DataPosition, ShardError, collate_expert, collate_generator, shard_urls
from lipsync.training.distributed import Distributed, setup, teardown
from lipsync.training.evalsets import read_split
from lipsync.training.expert import CONSTANT_METRICS as EXPERT_CONSTANTS
from lipsync.training.expert import (
    ExpertEvalSet,
    ExpertTask,
    expert_accuracy,
    expert_eval_set,
    ranking_auc,
    train_expert,
)
from lipsync.training.generator import GeneratorTask, train_generator
from lipsync.training.generator_adapters import OursAdapter, Wav2LipAdapter, expert_sync_loss, leak_free_original
from lipsync.training.generator_eval import CONSTANT_METRICS as GENERATOR_CONSTANTS
from lipsync.training.generator_eval import (
    GeneratorEvalSet,
    LandmarkMouthBoxes,
    evaluate_generator,
    generator_eval_set,
    sample_grid,
)
from lipsync.training.guard import LossGuard, TrainingDiverged
from lipsync.training.loop import train
from lipsync.training.mouth import box_mask, mouth_boxes_from_landmarks, mouth_l1
from lipsync.training.pairs import expert_groups, expert_pairs, expert_view
from lipsync.training.settings import (
    AdversarialSettings,
    DataSettings,
    ExpertTrainingSettings,
    GeneratorTrainingSettings,
    LoopSettings,
    MouthBoxSettings,
    PerceptualSettings,
    TrainingSettings,
)
from lipsync.training.task import Callbacks, LossTerm, RunPaths, Task, TrainingSummary
from lipsync.training.windows import WindowGeometry, generator_view, generator_windows

# Evaluation values that do not change during a run (eval-set sizes, baselines): trackers log them once.
EVAL_CONSTANTS = EXPERT_CONSTANTS | GENERATOR_CONSTANTS

__all__ = [
    "EVAL_CONSTANTS",
    "AdversarialSettings",
    "AugmentSettings",
    "BatchStream",
    "Callbacks",
    "DataPosition",
    "DataSettings",
    "Distributed",
    "ExpertEvalSet",
    "ExpertTask",
    "ExpertTrainingSettings",
    "GeneratorEvalSet",
    "GeneratorTask",
    "GeneratorTrainingSettings",
    "LandmarkMouthBoxes",
    "LoopSettings",
    "LossGuard",
    "LossTerm",
    "MouthBoxSettings",
    "OursAdapter",
    "PerceptualSettings",
    "RunPaths",
    "ShardError",
    "Task",
    "TrainingDiverged",
    "TrainingSettings",
    "TrainingSummary",
    "Wav2LipAdapter",
    "WindowAugmentSettings",
    "WindowGeometry",
    "box_mask",
    "collate_expert",
    "collate_generator",
    "evaluate_generator",
    "expert_accuracy",
    "expert_eval_set",
    "expert_groups",
    "expert_pairs",
    "expert_sync_loss",
    "expert_view",
    "generator_eval_set",
    "generator_view",
    "generator_windows",
    "leak_free_original",
    "mouth_boxes_from_landmarks",
    "mouth_l1",
    "ranking_auc",
    "read_split",
    "sample_grid",
    "setup",
    "shard_urls",
    "teardown",
    "train",
    "train_expert",
    "train_generator",
]
