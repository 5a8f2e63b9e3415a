"""A trained generator (ours or Wav2Lip) as inference needs it: crops and mel windows in,
generated faces and blend masks out.

Each output frame is generated from its own crop: the crop with its lower half masked is the
target, the same crop the identity reference (Wav2Lip's inference convention), and the crop is
also the original our compositor blends into (what the training adapters call the leak-free
original: the frame being dubbed, with its real but wrong mouth). Wav2Lip sees BGR, as it was
trained. On a still face every crop is the same, so the face encoder's output is computed once
and reused for every frame (:meth:`LowerFace.generate_still`): per frame, only the audio
encoder, the fusion and the decoder run, which is what makes real time cheap on a CPU.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
from torch import Tensor, nn

from lipsync.models import LipSyncGenerator, Wav2Lip, generator_input
from lipsync.models.generator.model import base_face

BGR6 = [2, 1, 0, 5, 4, 3]
BGR3 = [2, 1, 0]


class LowerFace:
    """model: a :class:`LipSyncGenerator` or :class:`Wav2Lip` (put in eval mode, no gradients).

    Calls take crops uint8 (N, S, S, 3) RGB at :attr:`size` and mel windows float32 (N, 80, 16),
    and return (generated float32 (N, S, S, 3) in [0, 1], compositor mask float32 (N, S, S) in
    [0, 1], or None for Wav2Lip).
    """

    def __init__(self, model: nn.Module) -> None:
        if not isinstance(model, LipSyncGenerator | Wav2Lip):
            raise TypeError(f"inference takes LipSyncGenerator or Wav2Lip, got {type(model).__name__}")
        self.model = model.eval().requires_grad_(False)
        self.ours = isinstance(model, LipSyncGenerator)
        self.size = model.settings.image_size if self.ours else 96
        self._still: tuple[str, tuple] | None = None  # (crop digest, cached encoder outputs)

    @torch.inference_mode()
    def generate(self, crops: np.ndarray, mel: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        target = _tensor(crops)  # (N, 3, S, S)
        audio = torch.from_numpy(np.ascontiguousarray(mel))[:, None]  # (N, 1, 80, 16)
        if self.ours:
            out = self.model(generator_input(target, target), audio, target)
            return _images(out.generated), out.mask[:, 0].numpy()
        faces = generator_input(target, target)[:, BGR6]  # (N, 6, 96, 96) BGR
        return _images(self.model(audio, faces)[:, BGR3]), None

    @torch.inference_mode()
    def generate_still(self, crop: np.ndarray, mel: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Like :meth:`generate` with ``crop`` (uint8 (S, S, 3)) for every frame, its encoding cached."""
        cached = self._encoded(crop)
        audio = torch.from_numpy(np.ascontiguousarray(mel))[:, None]  # (N, 1, 80, 16)
        if self.ours:
            generated, mask = self._ours_from(cached, audio)
            return _images(generated), mask[:, 0].numpy()
        return _images(self._wav2lip_from(cached, audio)[:, BGR3]), None

    def _encoded(self, crop: np.ndarray) -> tuple:
        digest = hashlib.sha1(np.ascontiguousarray(crop).tobytes()).hexdigest()
        if self._still is None or self._still[0] != digest:
            target = _tensor(crop[None])  # (1, 3, S, S)
            faces = generator_input(target, target)  # (1, 6, S, S)
            if self.ours:
                encoded = (self.model.face_encoder(faces), base_face(faces), target)
            else:
                encoded = (_wav2lip_skips(self.model, faces[:, BGR6]),)
            self._still = (digest, encoded)
        return self._still[1]

    def _ours_from(self, cached: tuple, audio: Tensor) -> tuple[Tensor, Tensor]:
        """LipSyncGenerator.forward with the face encoder's outputs given (same operations)."""
        features, base, original = cached
        n = audio.shape[0]
        grown = [f.expand(n, -1, -1, -1) for f in features]
        tokens = self.model.audio_encoder(audio)  # (N, N_a, D)
        grown[-1] = self.model.fusion(grown[-1], tokens)
        generated = self.model.lip_decoder(grown, base.expand(n, -1, -1, -1))  # (N, 3, S, S)
        _, mask = self.model.compositor(generated, original.expand(n, -1, -1, -1))  # (N, 1, S, S)
        return generated, mask

    def _wav2lip_from(self, cached: tuple, audio: Tensor) -> Tensor:
        """Wav2Lip.forward with the face encoder's skips given (same operations); BGR out."""
        (skips,) = cached
        n = audio.shape[0]
        x = self.model.audio_encoder(audio)  # (N, 512, 1, 1)
        for stage, skip in zip(self.model.face_decoder_blocks, reversed(skips), strict=True):
            x = torch.cat([stage(x), skip.expand(n, -1, -1, -1)], dim=1)
        return self.model.output_block(x)  # (N, 3, 96, 96)


def _wav2lip_skips(model: Wav2Lip, faces: Tensor) -> list[Tensor]:
    skips, x = [], faces
    for stage in model.face_encoder_blocks:
        x = stage(x)
        skips.append(x)
    return skips


def _tensor(crops: np.ndarray) -> Tensor:
    """uint8 (N, S, S, 3) -> float32 (N, 3, S, S) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 255.0


def _images(faces: Tensor) -> np.ndarray:
    """float (N, 3, S, S) -> float32 (N, S, S, 3) in [0, 1]."""
    return faces.clamp(0.0, 1.0).permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32)
