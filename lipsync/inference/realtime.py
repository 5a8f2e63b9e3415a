"""Feed a stream from a file, at real-time pace or as fast as it goes, and measure it.

``lipsync stream --realtime`` and ``lipsync bench inference`` use this. A chunk "arrives" when
its last sample would have been recorded: at ``t0 + end / rate`` at real-time pace (the feeder
sleeps until then; if processing falls behind, the chunk has already arrived and the frames'
latency shows it), or when it is pushed otherwise. The end of the stream arrives after the last chunk.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lipsync.inference.streaming import LipSyncStream, StreamFrame


@dataclass(frozen=True)
class StreamReport:
    """frames: made; audio_seconds: fed; sustained_fps: frames per second between the first and
    the last frame made; capacity_fps: frames per second of processing time alone; latency_ms:
    processing latency percentiles (p50, p95, max) over the frames, ms; algorithmic_delay_ms:
    what the window itself waits for (see :mod:`.streaming`)."""

    frames: int
    audio_seconds: float
    sustained_fps: float
    capacity_fps: float
    latency_ms: dict[str, float]
    algorithmic_delay_ms: float
    realtime: bool
    chunk_ms: float

    def as_dict(self) -> dict:
        return dict(vars(self))


def feed(
    stream: LipSyncStream,
    audio: np.ndarray,
    chunk_ms: float,
    realtime: bool,
    on_frame: Callable[[StreamFrame], None] | None = None,
) -> StreamReport:
    """Push ``audio`` (float32 (N,) at the mel rate) in chunks of ``chunk_ms``; ``on_frame`` sees each frame."""
    rate = stream.mel.sample_rate
    step = max(1, round(rate * chunk_ms / 1000))
    arrivals: list[tuple[int, float]] = []  # (samples in after this chunk, its arrival time), ascending
    made: list[StreamFrame] = []
    busy = 0.0
    started = time.perf_counter()
    for begin in range(0, len(audio), step):
        end = min(begin + step, len(audio))
        arrival = started + end / rate if realtime else time.perf_counter()
        if realtime:
            time.sleep(max(0.0, arrival - time.perf_counter()))
        arrivals.append((end, arrival))
        busy += _timed(lambda b=begin, e=end: made.extend(_each(stream.push(audio[b:e]), on_frame)))
    arrivals.append((np.iinfo(np.int64).max, time.perf_counter()))  # the end of the stream
    busy += _timed(lambda: made.extend(_each(stream.finish(), on_frame)))
    ends = [end for end, _ in arrivals]
    latencies = np.array([f.made_at - arrivals[bisect.bisect_left(ends, f.needed)][1] for f in made]) * 1000.0
    span = made[-1].made_at - made[0].made_at if len(made) > 1 else 0.0
    return StreamReport(
        frames=len(made),
        audio_seconds=len(audio) / rate,
        sustained_fps=round((len(made) - 1) / span, 2) if span > 0 else 0.0,
        capacity_fps=round(len(made) / busy, 2) if busy > 0 else 0.0,
        latency_ms={
            k: round(float(np.percentile(latencies, q)), 2) for k, q in (("p50", 50), ("p95", 95), ("max", 100))
        }
        if len(made)
        else {},
        algorithmic_delay_ms=round(algorithmic_delay(stream) * 1000.0, 2),
        realtime=realtime,
        chunk_ms=chunk_ms,
    )


def algorithmic_delay(stream: LipSyncStream) -> float:
    """Seconds of audio past a frame's own start that the frame waits for (the largest over a second of frames)."""
    rate, fps = stream.mel.sample_rate, stream.fps
    return max(stream.needed(f) / rate - f / fps for f in range(fps))


def _each(frames: list[StreamFrame], on_frame) -> list[StreamFrame]:
    if on_frame is not None:
        for frame in frames:
            on_frame(frame)
    return frames


def _timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
