"""Model definitions: our generator and expert, the published Wav2Lip models, checkpoints, cost.

| module | what |
|---|---|
| ``generator/`` | :class:`LipSyncGenerator` (about 1M parameters) and its PatchGAN |
| ``syncnet`` | :class:`SyncNet`, the lip-sync expert at any width, and its loss |
| ``wav2lip/`` | the published Wav2Lip generator, expert and discriminator, checkpoint-compatible |
| ``checkpoints`` | :func:`load_checkpoint` / :func:`save_checkpoint` in the Wav2Lip format |
| ``complexity`` | :func:`count_parameters`, :func:`macs_per_frame` |
| ``settings`` | :class:`ModelsSettings`, the ``models:`` section of ``params.yaml`` |
"""

from lipsync.models.checkpoints import CheckpointError, LoadedCheckpoint, load_checkpoint, save_checkpoint
from lipsync.models.complexity import count_parameters, macs_per_frame
from lipsync.models.generator import (
    DiscriminatorSettings,
    GeneratorOutput,
    GeneratorSettings,
    LipSyncGenerator,
    PatchDiscriminator,
    build_discriminator,
    generator_input,
)
from lipsync.models.settings import ModelsSettings
from lipsync.models.syncnet import SyncNet, SyncNetSettings, lower_half_stack, sync_loss, sync_probability
from lipsync.models.wav2lip import SyncNetColor, Wav2Lip, Wav2LipDiscQual

__all__ = [
    "CheckpointError",
    "DiscriminatorSettings",
    "GeneratorOutput",
    "GeneratorSettings",
    "LipSyncGenerator",
    "LoadedCheckpoint",
    "ModelsSettings",
    "PatchDiscriminator",
    "SyncNet",
    "SyncNetColor",
    "SyncNetSettings",
    "Wav2Lip",
    "Wav2LipDiscQual",
    "build_discriminator",
    "count_parameters",
    "generator_input",
    "load_checkpoint",
    "lower_half_stack",
    "macs_per_frame",
    "save_checkpoint",
    "sync_loss",
    "sync_probability",
]
