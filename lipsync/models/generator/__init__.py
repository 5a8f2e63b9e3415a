"""Our lip-sync generator (about 1M parameters at 96 px) and its optional PatchGAN discriminator.

One module per part: ``audio_encoder``, ``face_encoder``, ``fusion``, ``lip_decoder``,
``compositor``, ``discriminator``; ``model`` assembles them; ``settings`` holds the
``params.yaml`` dataclasses.
"""

from lipsync.lazy_exports import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "AudioEncoder": "lipsync.models.generator.audio_encoder",
        "AudioEncoderSettings": "lipsync.models.generator.settings",
        "AudioFusion": "lipsync.models.generator.fusion",
        "CompositorSettings": "lipsync.models.generator.settings",
        "CrossAttentionBlock": "lipsync.models.generator.fusion",
        "DiscriminatorSettings": "lipsync.models.generator.settings",
        "FaceCompositor": "lipsync.models.generator.compositor",
        "FaceEncoder": "lipsync.models.generator.face_encoder",
        "FusionSettings": "lipsync.models.generator.settings",
        "GeneratorOutput": "lipsync.models.generator.model",
        "GeneratorSettings": "lipsync.models.generator.settings",
        "LipDecoder": "lipsync.models.generator.lip_decoder",
        "LipSyncGenerator": "lipsync.models.generator.model",
        "PatchDiscriminator": "lipsync.models.generator.discriminator",
        "composite": "lipsync.models.generator.compositor",
        "generator_input": "lipsync.models.generator.model",
    },
)
__all__ = sorted(__dir__())
