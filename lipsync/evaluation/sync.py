"""LSE-D, LSE-C and the AV offset by the syncnet_python protocol (REFERENCE.md section 2).

For window i (video frames i..i+4) the video embedding is compared with the audio
embeddings of windows i + d, d = -K..K (K = ``max_offset``, 15: 31 positions), by Euclidean
distance (``torch.nn.functional.pairwise_distance``, eps 1e-6). Audio windows outside the
clip are zero vectors, as the public ``calc_pdist`` pads them. The distances are averaged over
the windows of the clip for each d; LSE-D is the minimum of that curve, LSE-C its median
minus its minimum.

Offset sign, syncnet_python's: AV offset = -d at the minimum. A positive offset means the
audio is early (it leads the picture): the sound of video frame i sits at audio frame
i - offset. Advancing a clip's audio by k frames (``audio[t] <- audio[t + k * 640]``) gives
offset +k; delaying it by k frames gives -k. Delaying the audio by ``offset`` frames fixes it.

Dataset figures are the arithmetic mean over clips of the per-clip LSE-D and LSE-C (the
convention of Wav2Lip's LRS2 scripts; LatentSync averages over face tracks first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class SyncScores:
    """One clip's sync figures.

    offsets: int (2K+1,) the offsets -K..K in frames, ascending (syncnet_python's sign).
    mean_distance: float32 (2K+1,) mean embedding distance at each of ``offsets``.
    window_distance: float32 (T_w, 2K+1) the per-window distances behind the mean.
    lse_d: min of ``mean_distance``; lse_c: median - min; offset: the offset at the minimum.
    """

    offsets: np.ndarray
    mean_distance: np.ndarray
    window_distance: np.ndarray
    lse_d: float
    lse_c: float
    offset: int

    @property
    def windows(self) -> int:
        return len(self.window_distance)


def offset_distances(video: Tensor, audio: Tensor, max_offset: int) -> Tensor:
    """Distances between each video window and the audio windows around it.

    video, audio: float (T_w, D) embeddings of the same windows.
    Returns float (T_w, 2K+1): column j holds the distance to audio window i + j - K (a zero
    vector outside the clip), the layout of syncnet_python's ``calc_pdist``.
    """
    if video.shape != audio.shape:
        raise ValueError(f"video embeddings {tuple(video.shape)} and audio embeddings {tuple(audio.shape)} differ")
    positions = 2 * max_offset + 1
    padded = F.pad(audio, (0, 0, max_offset, max_offset))  # (T_w + 2K, D)
    around = padded.unfold(0, positions, 1).transpose(1, 2)  # (T_w, 2K+1, D)
    return F.pairwise_distance(video[:, None, :].expand_as(around), around)  # (T_w, 2K+1)


def sync_scores(video: Tensor, audio: Tensor, max_offset: int) -> SyncScores:
    """LSE-D, LSE-C and offset of one clip from its window embeddings (T_w, D) each."""
    distances = offset_distances(video.float(), audio.float(), max_offset).cpu().numpy()  # (T_w, 2K+1)
    mean = distances.mean(axis=0)  # (2K+1,) column j <-> offset K - j
    best = int(np.argmin(mean))  # first minimum in syncnet_python's column order
    order = slice(None, None, -1)  # columns in ascending offset
    return SyncScores(
        offsets=np.arange(-max_offset, max_offset + 1),
        mean_distance=mean[order].astype(np.float32),
        window_distance=distances[:, order].astype(np.float32),
        lse_d=float(mean[best]),
        lse_c=float(np.median(mean) - mean[best]),
        offset=max_offset - best,
    )


def mean_over_clips(scores: Sequence[SyncScores]) -> tuple[float, float]:
    """Dataset (LSE-D, LSE-C): arithmetic means of the clips' figures (Wav2Lip's convention)."""
    if not scores:
        raise ValueError("no clip was scored: LSE needs at least one clip")
    return float(np.mean([s.lse_d for s in scores])), float(np.mean([s.lse_c for s in scores]))
