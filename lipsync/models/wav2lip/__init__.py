"""The published Wav2Lip models (generator, expert, visual-quality discriminator), checkpoint-compatible.

| ours | published class | checkpoint |
|---|---|---|
| :class:`Wav2Lip` | ``models.wav2lip.Wav2Lip`` | ``wav2lip.pth``, ``wav2lip_gan.pth`` |
| :class:`SyncNetColor` | ``models.syncnet.SyncNet_color`` | ``lipsync_expert.pth`` |
| :class:`Wav2LipDiscQual` | ``models.wav2lip.Wav2Lip_disc_qual`` | ``disc_checkpoint_*.pth`` |

Load any of them with :func:`lipsync.models.checkpoints.load_checkpoint`.
"""

from lipsync.models.wav2lip.discriminator import Wav2LipDiscQual
from lipsync.models.wav2lip.expert import WAV2LIP_EXPERT, SyncNetColor
from lipsync.models.wav2lip.generator import Wav2Lip

__all__ = ["WAV2LIP_EXPERT", "SyncNetColor", "Wav2Lip", "Wav2LipDiscQual"]
