"""Our lip-sync generator (about 1M parameters at 96 px) and its optional PatchGAN discriminator.

One module per part: ``audio_encoder``, ``face_encoder``, ``fusion``, ``lip_decoder``,
``compositor``, ``discriminator``; ``model`` assembles them; ``settings`` holds the
``params.yaml`` dataclasses.
"""

from lipsync.models.generator.audio_encoder import AudioEncoder
from lipsync.models.generator.compositor import FaceCompositor, composite
from lipsync.models.generator.discriminator import PatchDiscriminator, build_discriminator
from lipsync.models.generator.face_encoder import FaceEncoder
from lipsync.models.generator.fusion import AudioFusion, CrossAttentionBlock
from lipsync.models.generator.lip_decoder import LipDecoder
from lipsync.models.generator.model import GeneratorOutput, LipSyncGenerator, generator_input
from lipsync.models.generator.settings import (
    AudioEncoderSettings,
    CompositorSettings,
    DiscriminatorSettings,
    FusionSettings,
    GeneratorSettings,
)

__all__ = [
    "AudioEncoder",
    "AudioEncoderSettings",
    "AudioFusion",
    "CompositorSettings",
    "CrossAttentionBlock",
    "DiscriminatorSettings",
    "FaceCompositor",
    "FaceEncoder",
    "FusionSettings",
    "GeneratorOutput",
    "GeneratorSettings",
    "LipDecoder",
    "LipSyncGenerator",
    "PatchDiscriminator",
    "build_discriminator",
    "composite",
    "generator_input",
]
