"""Our lip-sync generator: face encoder + audio encoder + cross-attention + U-Net decoder + compositor.

Same task and inputs as Wav2Lip (a masked target frame, an identity reference, one mel
window per frame), at about 1/35 of its parameters and 1/13 of its compute per 96 px frame,
and with a resolution switch up to 256 px. The data flow, for one frame:

    faces (B, 6, S, S) --FaceEncoder--> skips [(B, w0, S, S) ... (B, wL, S/2^L, S/2^L)]
    mel (B, 1, 80, 16) --AudioEncoder--> audio tokens (B, N_a, D)
    bottleneck + audio tokens --AudioFusion--> conditioned bottleneck (B, wL, S/2^L, S/2^L)
    skips + base face --LipDecoder--> generated face (B, 3, S, S) in [0, 1] (base + a learnt change)
    generated + original --FaceCompositor--> output (B, 3, S, S), mask (B, 1, S, S)
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from lipsync.models.generator.audio_encoder import AudioEncoder
from lipsync.models.generator.compositor import FaceCompositor
from lipsync.models.generator.face_encoder import FaceEncoder
from lipsync.models.generator.fusion import AudioFusion
from lipsync.models.generator.lip_decoder import LipDecoder
from lipsync.models.generator.settings import GeneratorSettings


class GeneratorOutput(NamedTuple):
    """face: the result (composited when an original was given, else ``generated``);
    generated: the decoder's face; mask: the blend mask, None without an original.
    Shapes (B, 3, S, S), (B, 3, S, S), (B, 1, S, S), or with a time axis after C for windows."""

    face: Tensor
    generated: Tensor
    mask: Tensor | None


class LipSyncGenerator(nn.Module):
    """Generates the lower face that matches a mel window.

    forward(faces, mel, original=None):
      faces: float (B, 6, S, S) in [0, 1], S = settings.image_size: channels 0-2 the target
          frame with its lower half zeroed (see :func:`generator_input`), 3-5 an identity
          reference frame of the same person. Windows (B, 6, T, S, S) are accepted too.
      mel: float (B, 1, 80, 16) normalised log-mel, or (B, T, 1, 80, 16) with windows.
      original: float (B, 3, S, S) (or (B, 3, T, S, S)), the unmasked frame to composite into.
    """

    def __init__(self, settings: GeneratorSettings) -> None:
        super().__init__()
        self.settings = settings
        widths = settings.widths
        self.face_encoder = FaceEncoder(settings)
        self.audio_encoder = AudioEncoder(settings.audio)
        self.fusion = AudioFusion(widths[-1], settings.audio.dim, settings.fusion)
        self.lip_decoder = LipDecoder(widths)
        self.compositor = FaceCompositor(settings.compositor)

    def forward(self, faces: Tensor, mel: Tensor, original: Tensor | None = None) -> GeneratorOutput:
        windows = faces.dim() == 5
        if windows:
            steps = faces.shape[2]
            faces, mel = _frames(faces), mel.flatten(0, 1)  # (B*T, 6, S, S), (B*T, 1, 80, 16)
            original = _frames(original) if original is not None else None
        self._check_size(faces)
        features = self.face_encoder(faces)  # [(N, w_l, S/2**l, S/2**l)]
        audio = self.audio_encoder(mel)  # (N, N_a, D)
        features[-1] = self.fusion(features[-1], audio)  # (N, w_L, S/2**L, S/2**L)
        generated = self.lip_decoder(features, base_face(faces))  # (N, 3, S, S)
        face, mask = generated, None
        if original is not None:
            face, mask = self.compositor(generated, original)  # (N, 3, S, S), (N, 1, S, S)
        if windows:
            face, generated = _windows(face, steps), _windows(generated, steps)
            mask = _windows(mask, steps) if mask is not None else None
        return GeneratorOutput(face, generated, mask)

    def _check_size(self, faces: Tensor) -> None:
        size = self.settings.image_size
        if tuple(faces.shape[1:]) != (6, size, size):
            raise ValueError(
                f"generator input must be (B, 6, {size}, {size}) for image_size {size}, got {tuple(faces.shape)}"
            )


def generator_input(target: Tensor, reference: Tensor) -> Tensor:
    """Stack the masked target and the reference: (B, 3, H, W) x 2 -> (B, 6, H, W).

    The target's lower half (rows H/2..H) is zeroed, as in Wav2Lip, so the mouth has to come
    from the audio. Works on windows (B, 3, T, H, W) too.
    """
    masked = target.clone()
    masked[..., target.shape[-2] // 2 :, :] = 0.0
    return torch.cat([masked, reference], dim=1)


def base_face(faces: Tensor) -> Tensor:
    """The face the decoder edits: (B, 6, S, S) generator input -> (B, 3, S, S).

    The masked target's upper half over the reference's lower half: the pose and upper face
    of the frame being dubbed with a real (but wrong) mouth of the same person. Built from
    the input alone, so training and inference see the same base.
    """
    half = faces.shape[-2] // 2
    return torch.cat([faces[:, :3, :half], faces[:, 3:, half:]], dim=-2)


def _frames(windows: Tensor) -> Tensor:
    return windows.transpose(1, 2).flatten(0, 1)  # (B, C, T, H, W) -> (B*T, C, H, W)


def _windows(frames: Tensor, steps: int) -> Tensor:
    return frames.unflatten(0, (-1, steps)).transpose(1, 2)  # (B*T, C, H, W) -> (B, C, T, H, W)
