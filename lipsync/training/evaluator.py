"""Train the SyncNet evaluator (:class:`lipsync.evaluation.SyncNetV2`) and score it on held-out windows.

The evaluator measures sync for the benchmark (LSE-D / LSE-C) and is never a training loss,
so it is trained here with its own seed, on the training split, for exactly what the LSE
protocol reads off: which audio offset lies nearest to a face window.

Objective (multi-way matching): for face window i of a segment (frames i..i+4), every audio
window j of the same segment (the protocol's windows j = 0 .. T-6, MFCC steps 4j..4j+19) is
a candidate; the logits are minus the Euclidean distances between the unnormalised
embeddings (the distance LSE-D reports) and the loss is the cross-entropy of choosing j = i.
Face windows whose own audio is silent are not used: a closed mouth matches every silent
window. A segment of 25 frames offers 20 candidates, offsets -19..+19 frames. Two settings
shape it to the protocol: ``exclude_near`` drops the candidates 1..exclude_near-1 frames
from the target (their windows overlap it by 4/5 or more, so they are near-duplicates that
only slow learning; the self-checks allow +-1 frame anyway), and ``padding_candidate`` adds
the zero vector the LSE protocol pads the audio with outside a clip, whose distance is the
face embedding's norm: an evaluator must learn that a matching window is nearer than that,
or every clip's minimum lands on the padded edge (offset +-15). ``batch_negatives`` adds the
other views' own audio windows in the batch (other clips, mostly other speakers): LSE-D
compares distances across different audio, so the true window must also beat other audio.

Held-out figures (:func:`evaluator_accuracy`), for every window of the evaluation split:
``pair_accuracy``, the share of balanced (in-sync, off-sync) pairs, off-sync audio 5..15
frames away (``data.negative_offsets``), whose in-sync distance is the smaller (the
evaluator's analogue of the expert's off-sync accuracy, free of a threshold); ``top1``, the
share of windows whose nearest candidate is their own; the mean distances of both kinds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lipsync.data.shards import Sample
from lipsync.evaluation.mfcc import mfcc, mfcc_windows, window_count
from lipsync.evaluation.settings import SyncNetV2Settings
from lipsync.evaluation.sync_clip import evaluator_input
from lipsync.evaluation.syncnet_v2 import SyncNetV2
from lipsync.training.augment import augment_faces
from lipsync.training.data import BatchStream, shard_urls
from lipsync.training.distributed import Distributed, wrap
from lipsync.training.evalsets import read_split
from lipsync.training.loop import train
from lipsync.training.pairs import offset_choices
from lipsync.training.settings import DataSettings, EvaluatorTrainingSettings
from lipsync.training.task import LossTerm, RunSetup, ShardSource, TrainingSummary
from lipsync.training.windows import WindowGeometry, is_silent, mel_window

PCM_SCALE = 32768.0  # int16 samples -> [-1, 1]


def sample_windows(sample: Sample, net: SyncNetV2Settings) -> tuple[np.ndarray, np.ndarray]:
    """Every protocol window of one segment: faces uint8 (W, 5, S', S', 3) RGB as the evaluator
    ``net`` sees them (:func:`lipsync.evaluation.sync_clip.evaluator_input`: its crop and size) and
    MFCC float32 (W, 1, 13, 20); W = T - 5 (0 when the segment carries no audio)."""
    if sample.audio is None:
        raise ValueError(f"sample {sample.key} has no audio: rebuild the shards (the evaluator reads their audio)")
    count = max(0, window_count(len(sample.frames), len(sample.audio)))
    frames = evaluator_input(sample.frames, net.face_size, net.face_crop_top)  # (T, S', S', 3)
    faces = np.stack([frames[i : i + 5] for i in range(count)]) if count else np.zeros((0, 5, *frames.shape[1:]))
    features = mfcc(sample.audio.astype(np.float32) / PCM_SCALE)  # (13, T_m)
    return faces.astype(np.uint8), mfcc_windows(features, np.arange(count))


def evaluator_view(
    sample: Sample, rng: np.random.Generator, geometry: WindowGeometry, data: DataSettings, net: SyncNetV2Settings,
    candidates: int,
) -> list[dict]:  # fmt: skip
    """Up to ``views_per_segment`` (face window, all candidate audio windows) views of one segment,
    as the evaluator ``net`` sees them.

    Each: {'faces': uint8 (5, S', S', 3) augmented, 'mfcc': float32 (candidates, 1, 13, 20)
    zero-padded, 'valid': bool (candidates,), 'target': int64 () the own window's index}.
    """
    faces, windows = sample_windows(sample, net)
    count = min(len(faces), candidates)
    loud = [i for i in range(count) if not is_silent(mel_window(sample, i, geometry), data.silence_level)]
    views = []
    for i in rng.choice(loud, size=data.views_per_segment) if loud and count > 1 else []:
        stack = faces[int(i)].transpose(0, 3, 1, 2).reshape(-1, *faces.shape[2:4])  # (15, S, S)
        augmented = augment_faces(stack, rng, data.augment).reshape(5, 3, *faces.shape[2:4]).transpose(0, 2, 3, 1)
        mfccs = np.zeros((candidates, 1, *windows.shape[2:]), np.float32)
        mfccs[:count] = windows[:count]
        valid = np.arange(candidates) < count
        views.append({"faces": np.ascontiguousarray(augmented), "mfcc": mfccs, "valid": valid,
                      "target": np.int64(i)})  # fmt: skip
    return views


def collate_evaluator(views: list[dict]) -> dict[str, Tensor]:
    return {key: torch.from_numpy(np.stack([v[key] for v in views])) for key in views[0]}


def face_input(faces: Tensor, channel_order: str) -> Tensor:
    """uint8 (B, 5, S, S, 3) RGB -> float (B, 3, 5, S, S), 0..255 in ``channel_order``."""
    x = faces.permute(0, 4, 1, 2, 3).float()
    return x.flip(1) if channel_order == "bgr" else x


def candidate_distances(model, faces: Tensor, mfccs: Tensor, channel_order: str):
    """(distances (B, C) between B face windows and their C candidate audio windows, the face
    embeddings' norms (B,) (their distance to the protocol's zero padding), face embeddings
    (B, E), audio embeddings (B, C, E)).

    model: a :class:`SyncNetV2` (or its DDP wrapper); faces uint8 (B, 5, S, S, 3); mfccs (B, C, 1, 13, 20).
    """
    audio, video = model(mfccs.flatten(0, 1), face_input(faces, channel_order))  # (B*C, E), (B, E)
    audio = audio.view(*mfccs.shape[:2], -1)  # (B, C, E)
    distance = ((video[:, None, :] - audio).pow(2).sum(-1) + 1e-12).sqrt()  # (B, C)
    return distance, (video.pow(2).sum(-1) + 1e-12).sqrt(), video, audio  # the norm: the distance to a zero vector


class EvaluatorTask:
    """The loop's task: one module ('syncnet_evaluator'), one optimiser, multi-way cross-entropy."""

    def __init__(self, net: SyncNetV2, settings: EvaluatorTrainingSettings, eval_set, geometry, data) -> None:
        self.net, self.settings, self.eval_set, self.geometry, self.data = net, settings, eval_set, geometry, data
        loop = settings.loop
        self.modules = {"syncnet_evaluator": net}
        self.optimizers = {"syncnet_evaluator": torch.optim.Adam(net.parameters(), lr=loop.lr, betas=loop.betas)}
        self.model = net

    def distribute(self, context: Distributed) -> None:
        self.model = wrap(self.net, context)

    def terms(self, batch: dict[str, Tensor], step: int) -> Iterator[LossTerm]:
        faces, target = batch["faces"], batch["target"]
        distance, norm, video, audio = candidate_distances(self.model, faces, batch["mfcc"], self.net.channel_order)
        candidates = torch.arange(distance.shape[1], device=distance.device)[None]  # (1, C)
        gap = (candidates - target[:, None]).abs()  # (B, C)
        usable = batch["valid"] & ((gap == 0) | (gap >= self.settings.exclude_near))
        logits = [(-distance).masked_fill(~usable, float("-inf"))]  # (B, C)
        if self.settings.padding_candidate:
            logits.append(-norm[:, None])  # (B, 1): the protocol's zero padding
        if self.settings.batch_negatives and len(faces) > 1:
            others = audio[torch.arange(len(faces)), target]  # (B, E): every view's own audio window
            across = torch.cdist(video[None].float(), others[None].float())[0]  # (B, B)
            eye = torch.eye(len(faces), dtype=torch.bool, device=across.device)
            logits.append((-across).masked_fill(eye, float("-inf")))  # other clips' audio: nearer than none
        logits = torch.cat(logits, dim=1)
        loss = F.cross_entropy(logits.float(), batch["target"])
        top1 = (logits.argmax(dim=1) == batch["target"]).float().mean()
        yield LossTerm("syncnet_evaluator", loss, {"loss": float(loss.detach()), "train_top1": float(top1)})

    def evaluate(self, step: int) -> tuple[dict[str, float], None]:
        if self.eval_set is None:
            return {}, None
        return evaluator_accuracy(self.net, self.eval_set, self.geometry, self.data, self.settings.seed), None


@dataclass(frozen=True)
class EvaluatorEvalSet:
    """The held-out segments the evaluator is scored on (all their windows)."""

    segments: list[Sample]


@torch.no_grad()
def evaluator_accuracy(
    net: SyncNetV2, eval_set: EvaluatorEvalSet, geometry: WindowGeometry, data: DataSettings, seed: int
) -> dict[str, float]:
    """pair_accuracy, top1, in_sync_distance, off_sync_distance, windows (see the module docstring)."""
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    rng = np.random.default_rng(seed)
    wins, pairs, top1, near, far = 0, [], [], [], []
    for sample in eval_set.segments:
        faces, windows = sample_windows(sample, net.settings)
        if len(faces) < 2:
            continue
        faces_in = face_input(torch.from_numpy(faces), net.channel_order).to(device)
        audio, video = net(torch.from_numpy(windows).to(device), faces_in)  # (W, E) each
        distance = torch.cdist(audio[None].float(), video[None].float())[0].T.cpu().numpy()  # (W face, W audio)
        starts = np.arange(len(faces))
        for i in starts:
            if is_silent(mel_window(sample, int(i), geometry), data.silence_level):
                continue
            wins += 1
            top1.append(np.argmin(distance[i]) == i)
            choices = offset_choices(int(i), starts, data)
            if len(choices):
                j = int(rng.choice(choices))
                pairs.append(distance[i, i] < distance[i, j])
                near.append(distance[i, i])
                far.append(distance[i, j])
    net.train(was_training)
    if not pairs:
        return {"windows": float(wins)}
    return {
        "pair_accuracy": float(np.mean(pairs)),
        "top1": float(np.mean(top1)),
        "in_sync_distance": float(np.mean(near)),
        "off_sync_distance": float(np.mean(far)),
        "windows": float(wins),
    }


def train_evaluator(
    net: SyncNetV2, settings: EvaluatorTrainingSettings, source: ShardSource, setup: RunSetup, candidates: int
) -> TrainingSummary:
    """Train ``net`` on ``source.train``; score it on ``source.eval`` (if any). The view seed is
    ``settings.seed``, the evaluator's own (``source.seed`` is the generators'). candidates:
    protocol windows in the longest segment (segment frames - 5), the width of every view."""
    view = functools.partial(evaluator_view, geometry=source.geometry, data=source.data, net=net.settings,
                             candidates=candidates)  # fmt: skip
    stream = BatchStream(shard_urls(source.train), view, collate_evaluator, settings.loop.batch, source.data,
                         settings.seed)  # fmt: skip
    eval_set = None
    if source.eval is not None and setup.context.main:
        eval_set = EvaluatorEvalSet(read_split(source.eval))
    task = EvaluatorTask(net, settings, eval_set, source.geometry, source.data)
    return train(task, stream, settings.loop, setup.paths, setup.context, setup.callbacks)
