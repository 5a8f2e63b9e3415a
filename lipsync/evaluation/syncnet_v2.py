"""The SyncNet evaluator of the LSE metrics, weight-compatible with syncnet_python.

LSE-D and LSE-C are defined by one network: joonson's syncnet_python ``SyncNetModel``
(REFERENCE.md section 2). This module rebuilds it with the same attribute names
(``netcnnaud``, ``netfcaud``, ``netcnnlip``, ``netfclip``) and the same positions inside each
``nn.Sequential`` (ReLUs and pools included), so at the official widths
(:data:`OFFICIAL_SYNCNET_V2`) its state dict is key-for-key and shape-for-shape the published
``syncnet_v2.model`` and that file loads strictly. Widths and the face input size are
settings, so the same class also gives an evaluator small enough to train on two CPU cores
(which the official file then of course cannot fill).

Written here rather than imported: syncnet_python is a script repository, not a library
we can depend on, and its loader copies tensors by name without checking that every key is
present, so a file of another shape would half-load silently.
"""

from __future__ import annotations

import os

from torch import Tensor, nn

from lipsync.evaluation.settings import SyncNetV2Settings, face_grid
from lipsync.models.checkpoints import LoadedCheckpoint, load_checkpoint

OFFICIAL_SYNCNET_V2 = SyncNetV2Settings(
    audio_channels=(64, 192, 384, 256, 256, 512),
    face_channels=(96, 256, 256, 256, 256, 512),
    hidden_dim=512,
    embedding_dim=1024,
    face_size=224,
    channel_order="bgr",
    face_crop_top=0.0,
)
"""The published network's shape: the only settings ``syncnet_v2.model`` loads into."""


def _conv2d(c_in: int, c_out: int, kernel: tuple[int, int], padding: tuple[int, int] = (1, 1)) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, padding=padding), nn.BatchNorm2d(c_out), nn.ReLU()]


def _conv3d(c_in: int, c_out: int, kernel: tuple[int, int, int], stride=1, padding=(0, 1, 1)) -> list[nn.Module]:
    return [nn.Conv3d(c_in, c_out, kernel, stride=stride, padding=padding), nn.BatchNorm3d(c_out), nn.ReLU()]


def build_audio_tower(channels: tuple[int, ...]) -> nn.Sequential:
    """(B, 1, 13, 20) MFCC window -> (B, c5, 1, 1); indices as in ``netcnnaud``."""
    c0, c1, c2, c3, c4, c5 = channels
    return nn.Sequential(
        *_conv2d(1, c0, (3, 3)),
        nn.MaxPool2d(1, 1),  # a no-op, kept so that later indices match the published keys
        *_conv2d(c0, c1, (3, 3)),
        nn.MaxPool2d(3, (1, 2)),  # 13 x 20 -> 11 x 9
        *_conv2d(c1, c2, (3, 3)),
        *_conv2d(c2, c3, (3, 3)),
        *_conv2d(c3, c4, (3, 3)),
        nn.MaxPool2d(3, 2),  # -> 5 x 4
        *_conv2d(c4, c5, (5, 4), padding=(0, 0)),  # -> 1 x 1
    )


def build_face_tower(channels: tuple[int, ...], face_size: int) -> nn.Sequential:
    """(B, 3, 5, S, S) frames -> (B, c5, 1, 1, 1); indices as in ``netcnnlip``.

    The first conv spans all 5 frames, so time collapses at once; the rest is 2D in effect.
    """
    c0, c1, c2, c3, c4, c5 = channels
    grid = face_grid(face_size)
    return nn.Sequential(
        *_conv3d(3, c0, (5, 7, 7), stride=(1, 2, 2), padding=0),  # 224 -> 109
        nn.MaxPool3d((1, 3, 3), (1, 2, 2)),  # -> 54
        *_conv3d(c0, c1, (1, 5, 5), stride=(1, 2, 2)),  # -> 26
        nn.MaxPool3d((1, 3, 3), (1, 2, 2), padding=(0, 1, 1)),  # -> 13
        *_conv3d(c1, c2, (1, 3, 3)),
        *_conv3d(c2, c3, (1, 3, 3)),
        *_conv3d(c3, c4, (1, 3, 3)),
        nn.MaxPool3d((1, 3, 3), (1, 2, 2)),  # -> 6
        *_conv3d(c4, c5, (1, grid, grid), padding=0),  # -> 1
    )


def build_head(c_in: int, hidden: int, embedding: int) -> nn.Sequential:
    """(B, c_in) -> (B, embedding); indices as in ``netfcaud`` / ``netfclip``."""
    return nn.Sequential(nn.Linear(c_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, embedding))


class SyncNetV2(nn.Module):
    """Audio and face towers whose embeddings are compared by Euclidean distance.

    Embeddings are not normalised (the LSE protocol measures raw distances). BatchNorm makes
    the outputs depend on the mode: evaluate in ``eval()`` mode.
    """

    def __init__(self, settings: SyncNetV2Settings) -> None:
        super().__init__()
        self.settings = settings
        s = settings
        self.netcnnaud = build_audio_tower(s.audio_channels)
        self.netfcaud = build_head(s.audio_channels[-1], s.hidden_dim, s.embedding_dim)
        self.netcnnlip = build_face_tower(s.face_channels, s.face_size)
        self.netfclip = build_head(s.face_channels[-1], s.hidden_dim, s.embedding_dim)

    @property
    def face_size(self) -> int:
        return self.settings.face_size

    @property
    def channel_order(self) -> str:
        return self.settings.channel_order

    @property
    def face_crop_top(self) -> float:
        return self.settings.face_crop_top

    def embed_audio(self, mfcc: Tensor) -> Tensor:
        """mfcc: float (B, 1, 13, 20), see :mod:`lipsync.evaluation.mfcc` -> float (B, E)."""
        return self.netfcaud(self.netcnnaud(mfcc).flatten(1))

    def embed_faces(self, faces: Tensor) -> Tensor:
        """faces: float (B, 3, 5, S, S), pixel values 0..255 in ``channel_order`` -> float (B, E)."""
        return self.netfclip(self.netcnnlip(faces).flatten(1))

    def forward(self, mfcc: Tensor, faces: Tensor) -> tuple[Tensor, Tensor]:
        """(audio_embedding, face_embedding), each float (B, E)."""
        return self.embed_audio(mfcc), self.embed_faces(faces)


def load_syncnet_v2(model: SyncNetV2, path: str | os.PathLike[str]) -> LoadedCheckpoint:
    """Load ``syncnet_v2.model`` (a plain dict of tensors) or our own checkpoint into ``model``.

    Strict, with ``torch.load(weights_only=True)`` (:func:`lipsync.models.checkpoints.load_checkpoint`):
    a file of another width or face size raises CheckpointError listing every missing,
    unexpected and mis-shaped key. BatchNorm counters absent from old files are filled in.
    """
    return load_checkpoint(model, path)
