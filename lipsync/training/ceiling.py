"""The sync ceiling: how well a perfect eye tells in-sync from off-sync pairs.

The expert sees pixels; this classifier is handed the corpus's true mouth parameters
instead (``mouth_params``: open, width, round per frame, the numbers the renderer drew),
so its accuracy bounds what any eye can reach on the corpus's pairs. Well below 100%
means the corpus's sync itself is ambiguous (a mouth track several audio windows fit),
not that the expert lacks eyes.

Protocol: the expert's own (:mod:`lipsync.training.pairs`). A face window i is the mouth
parameters of frames [i, i + 5) (15 numbers); its audio is the mel window of frame i (in
sync) or of a frame j of the same segment 5..15 frames away (off sync), never a silent
window against a silent face window. It trains on every window of the training segments,
each epoch with its in-sync audio and one fresh off-sync draw (balanced), the audio
augmented as the expert's (``data.augment``: level and mel-bin shifts); it is scored on
:func:`lipsync.training.expert.expert_eval_set` of the held-out segments, the very pairs
the expert's held-out accuracy counts.

The classifier is a small MLP in torch on the concatenated (mouth, mel) features, written
here because it is a dozen lines: no library offers this pair protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lipsync.data.shards import Sample
from lipsync.training.augment import AugmentSettings
from lipsync.training.expert import ExpertEvalSet, expert_eval_set, ranking_auc
from lipsync.training.pairs import negative_for
from lipsync.training.settings import CeilingSettings, DataSettings
from lipsync.training.windows import WindowGeometry, mel_window, window_starts

MEL_SCALE = 4.0  # normalised log-mel lies in [-4, 4]


@dataclass(frozen=True)
class MouthSegments:
    """Shard segments with the true mouth parameters of their frames.

    segments: samples (their ``mel`` and ``meta`` are read; ``frames`` only for its length);
    mouths: float32 (T, 3) open, width, round of each segment's T frames.
    """

    segments: list[Sample]
    mouths: list[np.ndarray]

    def __post_init__(self) -> None:
        for sample, mouth in zip(self.segments, self.mouths, strict=True):
            if mouth.shape != (sample.frames.shape[0], 3):
                raise ValueError(f"segment {sample.key}: mouth params {mouth.shape}, frames {sample.frames.shape[0]}")


class CeilingNet(nn.Module):
    """MLP: mouth window float32 (B, 5, 3) and mel window (B, 80, 16) -> sync logit (B,).

    The mel bands are averaged in groups of ``mel_pool`` first (80 -> 20 at 4: a quarter of
    the first layer's cost; formants stay resolved)."""

    def __init__(self, mouth_dim: int, mel_shape: tuple[int, int], hidden: tuple[int, ...], dropout: float,
                 mel_pool: int) -> None:  # fmt: skip
        super().__init__()
        if mel_shape[0] % mel_pool:
            raise ValueError(f"training.syncnet_expert.ceiling.mel_pool {mel_pool} must divide {mel_shape[0]} bands")
        self.mel_pool = mel_pool
        layers: list[nn.Module] = []
        width = mouth_dim + mel_shape[0] // mel_pool * mel_shape[1]
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.mlp = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, mouth: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        bands, frames = mel.shape[1:]
        pooled = mel.view(-1, bands // self.mel_pool, self.mel_pool, frames).mean(2) / MEL_SCALE  # (B, 20, 16)
        features = torch.cat([mouth.flatten(1), pooled.flatten(1)], dim=1)  # (B, 15 + 320)
        return self.mlp(features).squeeze(1)


def training_pairs(
    data: MouthSegments, geometry: WindowGeometry, settings: DataSettings, rng: np.random.Generator
) -> list[tuple[int, int, int]]:
    """(segment, face window i, audio window j): every window in sync, and once off sync."""
    out = []
    for s, sample in enumerate(data.segments):
        starts = window_starts(sample, geometry, geometry.frames)
        for i in starts:
            j = negative_for(sample, int(i), starts, geometry, settings, rng)
            if j is not None:
                out += [(s, int(i), int(i)), (s, int(i), j)]
    return out


def pair_arrays(
    data: MouthSegments, pairs: list[tuple[int, int, int]], geometry: WindowGeometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mouth float32 (N, 5, 3), mel float32 (N, 80, 16), label float32 (N,) of the pairs."""
    mouth = np.stack([data.mouths[s][i : i + geometry.frames] for s, i, _ in pairs]).astype(np.float32)
    mel = np.stack([mel_window(data.segments[s], j, geometry) for s, _, j in pairs]).astype(np.float32)
    label = np.asarray([i == j for _, i, j in pairs], np.float32)
    return mouth, mel, label


def augmented_mel(mel: np.ndarray, rng: np.random.Generator, settings: AugmentSettings) -> np.ndarray:
    """:func:`lipsync.training.augment.augment_mel` drawn per window, vectorised:
    float32 (N, 80, 16) -> (N, 80, 16), each moved by its own mel-bin shift then level offset."""
    n, bands = mel.shape[:2]
    shift = rng.integers(-settings.mel_shift, settings.mel_shift + 1, size=n)
    rows = np.clip(np.arange(bands)[None, :] - shift[:, None], 0, bands - 1)  # (N, 80)
    out = mel[np.arange(n)[:, None], rows] + rng.uniform(-settings.mel_gain, settings.mel_gain, (n, 1, 1))
    return np.clip(out, -MEL_SCALE, MEL_SCALE).astype(np.float32)


def fit_ceiling(
    data: MouthSegments, geometry: WindowGeometry, settings: DataSettings, ceiling: CeilingSettings
) -> CeilingNet:
    """Train a :class:`CeilingNet` on ``data`` (seeded by ``ceiling.seed``, CPU, float32).

    Every window's mouth and mel are cut once; each epoch draws the off-sync partners afresh
    and indexes them."""
    torch.manual_seed(ceiling.seed)
    rng = np.random.default_rng(ceiling.seed)
    starts = [window_starts(segment, geometry, geometry.frames) for segment in data.segments]
    windows = [(s, int(i)) for s, found in enumerate(starts) for i in found]
    index = {window: w for w, window in enumerate(windows)}
    all_mouth, all_mel, _ = pair_arrays(data, [(s, i, i) for s, i in windows], geometry)  # (W, 5, 3), (W, 80, 16)
    net = CeilingNet(all_mouth[0].size, all_mel.shape[1:], ceiling.hidden, ceiling.dropout, ceiling.mel_pool)
    optimiser = torch.optim.AdamW(net.parameters(), lr=ceiling.lr, weight_decay=ceiling.weight_decay)
    net.train()
    for _ in range(ceiling.epochs):
        pairs = training_pairs(data, geometry, settings, rng)
        face = np.asarray([index[(s, i)] for s, i, _ in pairs])
        audio = np.asarray([index[(s, j)] for s, _, j in pairs])
        mouth, label = torch.from_numpy(all_mouth[face]), torch.from_numpy((face == audio).astype(np.float32))
        mel = torch.from_numpy(augmented_mel(all_mel[audio], rng, settings.augment))
        for chosen in torch.from_numpy(rng.permutation(len(pairs))).split(ceiling.batch):
            logits = net(mouth[chosen], mel[chosen])
            loss = nn.functional.binary_cross_entropy_with_logits(logits, label[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return net.eval()


@torch.no_grad()
def ceiling_scores(net: CeilingNet, data: MouthSegments, eval_set: ExpertEvalSet, geometry: WindowGeometry) -> dict:
    """accuracy (fraction at probability 0.5), auc and pairs of ``net`` on ``eval_set``'s pairs."""
    mouth, mel, label = pair_arrays(data, eval_set.pairs, geometry)
    probability = torch.sigmoid(net(torch.from_numpy(mouth), torch.from_numpy(mel)))
    y = torch.from_numpy(label)
    correct = ((probability >= 0.5).float() == y).float()
    return {"accuracy": float(correct.mean()), "auc": ranking_auc(probability, y), "pairs": len(label)}


def sync_ceiling(
    train: MouthSegments,
    held_out: MouthSegments,
    geometry: WindowGeometry,
    settings: DataSettings,
    ceiling: CeilingSettings,
    pairs: int,
    seed: int,
) -> dict[str, float]:
    """Fit on ``train``; score on the expert's ``pairs`` held-out pairs (``seed``: the expert's
    eval seed, so they are the same pairs) and on as many pairs of ``train``.

    Returns {'accuracy', 'auc', 'pairs'} on the held-out pairs and 'train_accuracy',
    'train_auc' on the training speakers' pairs (seen in training: the fit, not generalisation).
    """
    if not train.segments or not held_out.segments:
        raise ValueError("sync ceiling: the training and held-out splits both need segments")
    net = fit_ceiling(train, geometry, settings, ceiling)
    held = ceiling_scores(net, held_out, expert_eval_set(held_out.segments, geometry, settings, pairs, seed), geometry)
    fit = ceiling_scores(net, train, expert_eval_set(train.segments, geometry, settings, pairs, seed), geometry)
    return {**held, "train_accuracy": fit["accuracy"], "train_auc": fit["auc"]}


def clip_segments(
    clip_id: str, mel: np.ndarray, mouth: np.ndarray, fps: int, segment_frames: int, geometry: WindowGeometry
) -> MouthSegments:
    """One whole clip cut as the shards stage cuts a face run covering all its frames.

    mel: float32 (80, M) of the clip's audio; mouth: float32 (T, 3). Each segment's mel is
    read from ``int(80 * start / fps)``, padded with silence past the end, as in the shards.
    """
    from lipsync.audio.mel import mel_start_index
    from lipsync.data.splits import segment_bounds

    segments, mouths = [], []
    for start, stop in segment_bounds([(0, len(mouth))], segment_frames, geometry.frames):
        m0 = mel_start_index(start, fps, geometry.mel)
        width = round((stop - start) * geometry.mel.frames_per_second / fps)
        part = np.full((mel.shape[0], width), -geometry.mel.max_abs_value, np.float32)
        piece = mel[:, m0 : m0 + width]
        part[:, : piece.shape[1]] = piece
        meta = {"video_id": clip_id, "start_frame": start, "frames": stop - start, "fps": fps, "mel_start": m0}
        frames = np.zeros((stop - start, 0, 0, 3), np.uint8)  # the ceiling never looks at pixels
        empty = np.zeros((stop - start, 4), np.float32)
        segments.append(Sample(f"{clip_id}_{start:06d}", frames, part, empty, np.zeros((stop - start, 5, 2)), meta))
        mouths.append(mouth[start:stop].astype(np.float32))
    return MouthSegments(segments, mouths)


def joined(parts: list[MouthSegments]) -> MouthSegments:
    """Several MouthSegments as one, in order."""
    return MouthSegments([s for p in parts for s in p.segments], [m for p in parts for m in p.mouths])


def read_audio_segments(shards) -> list[Sample]:
    """The samples of ``shards`` (glob, folder or list), in :func:`lipsync.training.evalsets.read_split`
    order, with only their mel and metadata decoded (``frames`` is an empty uint8 (T, 0, 0, 3):
    the ceiling needs the frame count, not the pixels, and a split's crops are hundreds of MB)."""
    import io
    import json

    import webdataset as wds

    from lipsync.training.data import ShardError, raise_shard_error, shard_urls

    urls = shard_urls(shards)
    dataset = wds.WebDataset(urls, shardshuffle=False, nodesplitter=None, handler=raise_shard_error, empty_check=False)
    out = []
    for raw in dataset:
        try:
            meta = json.loads(raw["json"])
            mel = np.load(io.BytesIO(raw["mel.npy"]), allow_pickle=False)
        except Exception as error:
            where = f"shard {raw.get('__url__')}: sample {raw.get('__key__')}"
            raise ShardError(f"{where} cannot be decoded ({error}); rebuild it with the shards stage") from error
        count = int(meta["frames"])
        empty = np.zeros((count, 4), np.float32)
        frames = np.zeros((count, 0, 0, 3), np.uint8)
        out.append(Sample(raw["__key__"], frames, mel, empty, np.zeros((count, 5, 2), np.float32), meta))
    return out
