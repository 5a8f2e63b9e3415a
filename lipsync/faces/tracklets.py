"""Following faces through one chunk of frames: sparse detections, O-Net on every frame.

A chunk is cut into segments of ``detect_every`` frames, each opened by a keyframe where the
full cascade runs. Every detection seeds a trajectory that O-Net follows to the end of its
segment, measuring each frame from a proposal that stays put while the face does and moves
ahead of it when it moves (``Anchors``); a trajectory ends when O-Net's face probability drops
under ``refine_threshold``. All segments advance together
(step l refines frame k_s + l of every segment s), so O-Net gets one batch per step instead of
one crop per frame: a wavefront over the chunk.

Stitching then joins each segment's trajectories to the tracks still open just before its
keyframe, by IoU. A track the detector missed at the keyframe (an "orphan") is followed frame
by frame through the segment: the only unbatched path, and a rare one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torchvision.ops import batched_nms, box_iou

from lipsync.faces.detect import detect_prepared, run_onet
from lipsync.faces.patches import WorkFrames
from lipsync.faces.settings import DetectorSettings, TrackerSettings


@dataclass
class Piece:
    """A contiguous run of one face from frame ``start``: float32 boxes (L, 4), landmarks (L, 5, 2),
    scores (L,), in frame pixels; ``alive``: still followed at its last frame (not lost)."""

    start: int
    boxes: np.ndarray
    landmarks: np.ndarray
    scores: np.ndarray
    alive: bool

    @property
    def stop(self) -> int:
        return self.start + len(self.scores)

    def tail(self, frame: int) -> Piece:
        cut = frame - self.start
        return Piece(frame, self.boxes[cut:], self.landmarks[cut:], self.scores[cut:], self.alive)


@dataclass
class Track:
    """One face over time: consecutive pieces (their frames do not overlap)."""

    pieces: list[Piece] = field(default_factory=list)

    @property
    def stop(self) -> int:
        return self.pieces[-1].stop

    @property
    def alive(self) -> bool:
        return self.pieces[-1].alive


def follow_chunk(
    tracks: list[Track], work: WorkFrames, start: int, tracker: TrackerSettings, detector: DetectorSettings
) -> int:
    """Extend ``tracks`` (in place) over the chunk of frames [start, start + N); returns detections run.

    ``start`` must be a multiple of ``tracker.detect_every`` (chunks hold whole segments).
    """
    keys = np.arange(0, len(work.images), tracker.detect_every)
    detections = detect_prepared(WorkFrames(work.images[keys], work.scale), detector)
    segments = _wavefront(work, keys, detections, tracker, detector.precision)
    for key, pieces in zip(keys, segments, strict=True):
        _stitch(tracks, [_shift(p, start) for p in pieces], work, start, key, tracker, detector.precision)
    return len(keys)


def _shift(piece: Piece, offset: int) -> Piece:
    return Piece(piece.start + offset, piece.boxes, piece.landmarks, piece.scores, piece.alive)


def _wavefront(work, keys, detections, tracker: TrackerSettings, precision: str) -> list[list[Piece]]:
    """Follow every keyframe detection to the end of its segment; pieces per segment (chunk frames)."""
    segment = torch.from_numpy(np.concatenate([np.full(len(d.scores), s) for s, d in enumerate(detections)]))
    if segment.numel() == 0:
        return [[] for _ in keys]
    count, length, frames = len(segment), tracker.detect_every, len(work.images)
    boxes = torch.full((count, length, 4), float("nan"))
    marks = torch.full((count, length, 10), float("nan"))
    scores = torch.zeros(count, length)
    boxes[:, 0] = work.to_work(torch.from_numpy(np.concatenate([d.boxes for d in detections])))
    marks[:, 0] = work.to_work(torch.from_numpy(np.concatenate([d.landmarks for d in detections]).reshape(-1, 10)))
    scores[:, 0] = torch.from_numpy(np.concatenate([d.scores for d in detections]))
    proposals = work.to_work(torch.from_numpy(np.concatenate([d.proposals for d in detections])))
    anchor = Anchors(proposals, boxes[:, 0].clone(), tracker.refine_dead_band)
    first = torch.from_numpy(keys)[segment]
    alive, kept = torch.ones(count, dtype=torch.bool), torch.ones(count, dtype=torch.bool)
    _drop_duplicates(torch.arange(count), boxes[:, 0], scores[:, 0], segment, kept, tracker.iou_match)
    for step in range(1, length):
        active = (alive & kept & (first + step < frames)).nonzero()[:, 0]
        if active.numel() == 0:
            break
        refined, landmarks, prob = run_onet(work, anchor.boxes[active], first[active] + step, precision)
        found = prob >= tracker.refine_threshold
        alive[active[~found]] = False
        active = active[found]
        boxes[active, step], marks[active, step], scores[active, step] = (
            refined[found],
            landmarks[found].reshape(-1, 10),
            prob[found],
        )
        anchor.update(active, refined[found])
        _drop_duplicates(active, boxes[active, step], scores[active, step], segment[active], kept, tracker.iou_match)
    boxes, marks = work.to_frame(boxes), work.to_frame(marks)
    lengths = (~boxes[:, :, 0].isnan()).sum(dim=1)
    result: list[list[Piece]] = [[] for _ in keys]
    for j in kept.nonzero()[:, 0].tolist():
        size = int(lengths[j])
        piece = Piece(
            int(first[j]),
            boxes[j, :size].numpy(),
            marks[j, :size].reshape(-1, 5, 2).numpy(),
            scores[j, :size].numpy(),
            bool(alive[j]),
        )
        result[int(segment[j])].append(piece)
    return result


class Anchors:
    """The box O-Net is given for each followed face: held still within a dead band, else predicted.

    Re-proposing O-Net's own output on every frame makes the box wander on a still face (O-Net
    is not at a fixed point of its own regression: a few px per frame, up to 10 px over a
    segment). Instead each face keeps its proposal (at first the detector's, for which O-Net
    measured the keyframe box) while the boxes measured with it stay within ``band`` x the box
    side of the ``reference`` box (measured when the proposal was set); identical frames
    therefore give identical boxes.

    A face that moves farther gets a new proposal: the box just measured plus the motion since
    the previous frame (box corners, so a change of size too), i.e. where the face should be on
    the next frame; the box just measured becomes the reference. O-Net's regression only partly
    corrects a proposal of the wrong place or size, so a proposal one frame behind would make the
    box trail a moving face (measured: by up to 2 frames on the corpus's faces).

    boxes: float (K, 4) proposals; reference, last: float (K, 4) measured boxes; working pixels.
    """

    def __init__(self, boxes: torch.Tensor, measured: torch.Tensor, band: float) -> None:
        self.boxes, self.band = boxes.clone(), band
        self.reference, self.last = measured.clone(), measured.clone()

    def update(self, index: torch.Tensor, measured: torch.Tensor) -> None:
        """Record the boxes (n, 4) just measured for faces ``index`` (n,) with their proposals."""
        reference = self.reference[index]
        side = (reference[:, 2:] - reference[:, :2]).mean(dim=1)
        moved = (measured - reference).abs().amax(dim=1) > self.band * side
        ahead = 2 * measured - self.last[index]  # (n, 4): measured + its motion since the previous frame
        self.boxes[index[moved]] = ahead[moved]
        self.reference[index[moved]] = measured[moved]
        self.last[index] = measured


def _drop_duplicates(index, boxes, scores, groups, kept, iou: float) -> None:
    """Two trajectories on one face within a segment: keep the more confident one only."""
    if index.numel() < 2:
        return
    survivors = torch.zeros(index.numel(), dtype=torch.bool)
    survivors[batched_nms(boxes, scores, groups, iou)] = True
    kept[index[~survivors]] = False


def _match(previous: list[np.ndarray], current: list[np.ndarray], threshold: float) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (i, j) of boxes with the highest IoU >= threshold."""
    if not previous or not current:
        return []
    iou = box_iou(torch.from_numpy(np.stack(previous)), torch.from_numpy(np.stack(current)))
    pairs = []
    while True:
        best = int(iou.argmax())
        i, j = divmod(best, iou.shape[1])
        if iou[i, j] < threshold:
            return pairs
        pairs.append((i, j))
        iou[i, :], iou[:, j] = -1, -1


def _stitch(tracks, pieces, work, start, key, tracker: TrackerSettings, precision: str) -> None:
    """Join one segment's pieces (global frames) to the tracks open at its keyframe."""
    keyframe = start + int(key)
    open_tracks = [t for t in tracks if t.alive and t.stop == keyframe]
    pairs = _match([t.pieces[-1].boxes[-1] for t in open_tracks], [p.boxes[0] for p in pieces], tracker.iou_match)
    for i, j in pairs:
        open_tracks[i].pieces.append(pieces[j])
    matched = {j for _, j in pairs}
    born = {j: Track([p]) for j, p in enumerate(pieces) if j not in matched}
    tracks.extend(born.values())
    paired = {i for i, _ in pairs}
    for i, track in enumerate(open_tracks):
        if i not in paired:
            _follow_orphan(track, tracks, pieces, born, work, start, tracker, precision)


def _follow_orphan(track, tracks, pieces, born, work, start, tracker: TrackerSettings, precision: str) -> None:
    """Follow a track the keyframe detection missed, frame by frame through the segment.

    If it runs into a face that started a new track in this segment, it takes that track
    over from there; if it runs into a continuing track, it ends (two tracks, one face).
    """
    last = track.pieces[-1]
    box = work.to_work(torch.from_numpy(last.boxes[-1:]))
    anchor = Anchors(box, box, tracker.refine_dead_band)  # the box measured on the previous frame
    frame, stop = last.stop, min(last.stop + tracker.detect_every, start + len(work.images))
    found_boxes, found_marks, found_scores, alive, hit = [], [], [], True, None
    while frame < stop:
        box, marks, prob = run_onet(work, anchor.boxes, torch.tensor([frame - start]), precision)
        if prob[0] < tracker.refine_threshold:
            alive = False
            break
        anchor.update(torch.zeros(1, dtype=torch.long), box)
        frame_box = work.to_frame(box)[0].numpy()
        hit = _overlapping(pieces, frame, frame_box, tracker.iou_match)
        if hit is not None:
            alive = False
            break
        found_boxes.append(frame_box)
        found_marks.append(work.to_frame(marks.reshape(1, 10))[0].numpy().reshape(5, 2))
        found_scores.append(float(prob[0]))
        frame += 1
    if found_scores:
        track.pieces.append(
            Piece(last.stop, np.stack(found_boxes), np.stack(found_marks), np.float32(found_scores), alive)
        )
    else:
        last.alive = alive
    if hit is not None and hit in born:
        tracks.remove(born.pop(hit))
        track.pieces.append(pieces[hit].tail(frame))


def _overlapping(pieces: list[Piece], frame: int, box: np.ndarray, threshold: float) -> int | None:
    for j, piece in enumerate(pieces):
        if piece.start <= frame < piece.stop:
            iou = box_iou(torch.from_numpy(box[None]), torch.from_numpy(piece.boxes[frame - piece.start][None]))
            if float(iou) >= threshold:
                return j
    return None
