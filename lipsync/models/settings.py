"""The ``models:`` section of ``params.yaml``: our generator, its discriminator and the expert.

The published Wav2Lip models have fixed shapes and need no settings (see
:mod:`lipsync.models.wav2lip`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lipsync.models.generator.settings import DiscriminatorSettings, GeneratorSettings
from lipsync.models.syncnet import SyncNetSettings


@dataclass(frozen=True)
class ModelsSettings:
    """generator: :class:`LipSyncGenerator`; discriminator: the optional PatchGAN;
    syncnet: the lip-sync expert (slim on CPU, reference width on a GPU)."""

    generator: GeneratorSettings
    discriminator: DiscriminatorSettings
    syncnet: SyncNetSettings
