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

from lipsync.lazy_exports import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CheckpointError": "lipsync.models.checkpoints",
        "DiscriminatorSettings": "lipsync.models.generator",
        "GeneratorOutput": "lipsync.models.generator",
        "GeneratorSettings": "lipsync.models.generator",
        "LipSyncGenerator": "lipsync.models.generator",
        "LoadedCheckpoint": "lipsync.models.checkpoints",
        "ModelsSettings": "lipsync.models.settings",
        "PatchDiscriminator": "lipsync.models.generator",
        "SyncNet": "lipsync.models.syncnet",
        "SyncNetColor": "lipsync.models.wav2lip",
        "SyncNetSettings": "lipsync.models.settings",
        "Wav2Lip": "lipsync.models.wav2lip",
        "UnreadableCheckpoint": "lipsync.models.checkpoints",
        "Wav2LipDiscQual": "lipsync.models.wav2lip",
        "count_parameters": "lipsync.models.complexity",
        "generator_input": "lipsync.models.generator",
        "load_checkpoint": "lipsync.models.checkpoints",
        "lower_half_stack": "lipsync.models.syncnet",
        "macs_per_frame": "lipsync.models.complexity",
        "save_checkpoint": "lipsync.models.checkpoints",
        "sync_loss": "lipsync.models.syncnet",
        "sync_probability": "lipsync.models.syncnet",
    },
)
__all__ = sorted(__dir__())
