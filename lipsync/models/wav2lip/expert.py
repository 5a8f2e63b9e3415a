"""The published Wav2Lip expert (``SyncNet_color``) as a fixed setting of our :class:`SyncNet`.

Our expert generalises the published one only in width, so the published architecture is
one point of :class:`SyncNetSettings`; ``lipsync_expert.pth`` loads into
:class:`SyncNetColor` strictly (about 16.4M parameters). The settings here describe a
published file format, not a tunable choice, which is why they live in code and not in
``params.yaml``.
"""

from __future__ import annotations

from lipsync.models.syncnet import SyncNet, SyncNetSettings

WAV2LIP_EXPERT = SyncNetSettings(channels=(32, 64, 128, 256, 512), embedding_dim=512, window_frames=5)


class SyncNetColor(SyncNet):
    """Wav2Lip's colour expert: mel (B, 1, 80, 16) + lower faces (B, 15, 48, 96) -> two (B, 512) embeddings."""

    def __init__(self) -> None:
        super().__init__(WAV2LIP_EXPERT)
