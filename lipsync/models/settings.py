"""The ``models:`` section of ``params.yaml``: our generator, its discriminator and the expert.

The published Wav2Lip models have fixed shapes and need no settings (see
:mod:`lipsync.models.wav2lip`). No torch here: :mod:`lipsync.config` imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from lipsync.evaluation.settings import SyncNetV2Settings
from lipsync.models.generator.settings import DiscriminatorSettings, GeneratorSettings


@dataclass(frozen=True)
class SyncNetSettings:
    """Shape of the expert.

    channels: five widths (c0..c4). The face tower widens through all five; the audio tower
        through c0..c3 and then projects to c4. Reference: (32, 64, 128, 256, 512).
    embedding_dim: length of both embeddings. Reference: 512.
    window_frames: video frames per sync window; the face input has 3 * window_frames channels.
    """

    channels: tuple[int, int, int, int, int]
    embedding_dim: int
    window_frames: int


@dataclass(frozen=True)
class ModelsSettings:
    """generator: :class:`LipSyncGenerator`; discriminator: the optional PatchGAN;
    syncnet: the lip-sync expert (slim on CPU, reference width on a GPU); syncnet_evaluator:
    the LSE evaluator, syncnet_python's network (:class:`lipsync.evaluation.SyncNetV2`)."""

    generator: GeneratorSettings
    discriminator: DiscriminatorSettings
    syncnet: SyncNetSettings
    syncnet_evaluator: SyncNetV2Settings
