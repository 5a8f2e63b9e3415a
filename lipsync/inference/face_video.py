"""Face frames for inference: a still image or a video, at the output size, in any order.

Output size: the input's, downscaled so its longer side is at most ``max_side`` and cut to even
sides (H.264 yuv420p needs them). Timing: a video of any frame rate is sampled at the output's
25 fps into *slots* (slot ``j`` shows the frame on screen at ``j / fps``), and a video shorter
than the audio plays forwards then backwards (:func:`pingpong`). Decoded frames are identified
by their presentation timestamp, recorded once (the tracking pass), so that
:func:`frames_in_order` can seek back for the backward runs: at most ``cache_frames`` frames are
held at once, so memory never grows with the video's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from lipsync.media.probe import MediaError, open_container

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


class FaceInputError(ValueError):
    """The face input cannot be used; the message names the file and the reason."""


def is_image(path: Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_image(path: Path) -> np.ndarray:
    """uint8 (H, W, 3) RGB of a still image (grey and alpha images converted)."""
    path = Path(path)
    if not path.is_file():
        raise FaceInputError(f"face {path}: no such file")
    image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise FaceInputError(f"face {path}: not a readable image (unsupported format or a corrupt file)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def output_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) of the output: scaled to fit ``max_side``, each side even and >= 2."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 (H, W, 3) -> (size[1], size[0], 3): an odd last row/column is cut, a larger frame area-resized."""
    width, height = size
    h, w = frame.shape[:2]
    if 0 <= h - height <= 1 and 0 <= w - width <= 1:
        return frame[:height, :width]
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def video_info(path: Path) -> tuple[int, int, float]:
    """(width, height, seconds per timestamp unit) of ``path``'s first video stream; FaceInputError otherwise."""
    try:
        with open_container(Path(path)) as container:
            if not container.streams.video:
                raise MediaError("no video stream")
            stream = container.streams.video[0]
            return int(stream.codec_context.width), int(stream.codec_context.height), float(stream.time_base)
    except (MediaError, FileNotFoundError) as error:
        raise FaceInputError(f"face {path}: {error}") from None


def decode(path: Path, size: tuple[int, int], start_pts: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(pts, frame)`` of every video frame from the keyframe at or before ``start_pts`` (None: the
    first); frame: uint8 (size[1], size[0], 3) RGB. FaceInputError naming the file on corrupt data."""
    try:
        with open_container(Path(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if start_pts is not None:
                container.seek(int(start_pts), stream=stream, backward=True, any_frame=False)
            for index, frame in enumerate(container.decode(stream)):
                pts = frame.pts if frame.pts is not None else index
                yield pts, fit(frame.to_ndarray(format="rgb24"), size)
    except (MediaError, av.error.FFmpegError) as error:
        raise FaceInputError(f"face {path}: truncated or corrupt video data ({error})") from None


def slot_frames(times: np.ndarray, fps: int) -> np.ndarray:
    """Decoded frame on screen at each output slot ``j / fps``: int64 (L,), L = duration x fps.

    times: float64 (T,) presentation times in seconds, ascending. The duration counts the last
    frame's own display time (the median frame interval).
    """
    t = np.asarray(times, dtype=np.float64) - times[0]
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0 / fps
    slots = max(1, round((t[-1] + step) * fps))
    index = np.searchsorted(t, np.arange(slots) / fps + 1e-6, side="right") - 1
    return np.clip(index, 0, len(t) - 1).astype(np.int64)


def pingpong(frames: int, slots: int, start: int = 0) -> np.ndarray:
    """Slot of output frames ``start .. frames - 1`` (int64 (frames - start,)): 0, 1, ..., L-1, L-2,
    ..., 1, 0, 1, ... for L ``slots`` (a video shorter than the audio plays forwards, then backwards)."""
    n = np.arange(start, frames, dtype=np.int64)
    if slots == 1:
        return np.zeros_like(n)
    period = 2 * slots - 2
    k = n % period
    return np.where(k < slots, k, period - k)


def frames_in_order(
    path: Path, size: tuple[int, int], pts: np.ndarray, order: np.ndarray, cache_frames: int
) -> Iterator[np.ndarray]:
    """The decoded frames ``order`` (int (N,) indices into ``pts``) in that order, uint8 (H, W, 3).

    An order that never goes back (the video at least as long as the audio) is decoded as it
    goes, one frame in memory at a time. Otherwise, when the distinct frames needed fit in
    ``cache_frames``, they are decoded once and kept; failing that, forward runs are decoded as
    they go and backward runs in blocks of ``cache_frames``, each decoded forwards from the
    keyframe before it and replayed backwards.
    """
    index_of = {int(p): i for i, p in enumerate(pts)}
    if len(order) and (np.diff(order) >= 0).all():
        yield from _forward(path, size, pts, index_of, np.asarray(order))
        return
    needed = np.unique(order)
    if len(needed) <= cache_frames:
        cache = dict(_decode_span(path, size, pts, index_of, int(needed[0]), int(needed[-1]), set(needed.tolist())))
        for i in order:
            yield cache[int(i)]
        return
    for run in _monotone_runs(order):
        if len(run) == 1 or run[-1] >= run[0]:
            yield from _forward(path, size, pts, index_of, run)
        else:
            for start in range(0, len(run), cache_frames):
                block = run[start : start + cache_frames]
                cache = dict(
                    _decode_span(path, size, pts, index_of, int(block[-1]), int(block[0]), set(block.tolist()))
                )
                for i in block:
                    yield cache[int(i)]


def _monotone_runs(order: np.ndarray) -> list[np.ndarray]:
    """Split ``order`` where its direction turns: runs that never go back, or never go forward."""
    runs, start, direction = [], 0, 0
    for k in range(1, len(order)):
        step = int(np.sign(order[k] - order[k - 1]))
        if step == 0:
            continue
        if direction == 0:
            direction = step
        elif step != direction:
            runs.append(order[start:k])
            start, direction = k, 0
    runs.append(order[start:])
    return runs


def _decode_span(path, size, pts, index_of, first: int, last: int, keep: set[int]) -> Iterator[tuple[int, np.ndarray]]:
    """(index, frame) for the decoded frames ``first..last`` whose index is in ``keep``."""
    landed = False
    for p, frame in decode(path, size, start_pts=int(pts[first]) if first else None):
        i = index_of.get(int(p))
        if i is None:
            continue
        if not landed and i > first:  # the seek overshot (some containers seek by decode time): from the start
            yield from _decode_span(path, size, pts, index_of, 0, last, keep)
            return
        landed = True
        if i >= first and i in keep:
            yield i, frame
        if i >= last:
            return


def _forward(path, size, pts, index_of, run: np.ndarray) -> Iterator[np.ndarray]:
    """A run that never goes back, decoded as it goes (a frame shown twice is yielded twice)."""
    wanted = iter(run.tolist())
    target = next(wanted)
    for i, frame in _decode_span(path, size, pts, index_of, int(run[0]), int(run[-1]), set(run.tolist())):
        while target == i:
            yield frame
            target = next(wanted, None)
        if target is None:
            return
