"""One ``lipsync serve`` stream: when its audio arrived, what it sent, and the lock it holds."""

from __future__ import annotations

import asyncio
import bisect
import json
import struct

import cv2
import numpy as np


class ClientError(ValueError):
    """A client's message was refused; the reason goes back to it and the connection stays open."""


class Session:
    """stream: the :class:`~lipsync.inference.streaming.LipSyncStream`; arrivals: (samples in after a
    chunk, its arrival ``perf_counter``), ascending; latencies: per frame sent, ms; lock: the
    server's one-stream lock, held until :meth:`close`."""

    def __init__(self, stream, lock: asyncio.Lock) -> None:
        self.stream, self.lock = stream, lock
        self.arrivals: list[tuple[int, float]] = []
        self.received = self.sent = 0
        self.latencies: list[float] = []
        self._open = True

    def arrival_of(self, needed: int) -> float:
        """When the chunk holding sample ``needed - 1`` arrived."""
        ends = [end for end, _ in self.arrivals]
        return self.arrivals[min(bisect.bisect_left(ends, needed), len(ends) - 1)][1]

    def frame_message(self, frame, latency: float, quality: int) -> bytes:
        """uint32 LE header length + JSON header {index, silent, latency_ms} + the frame as JPEG."""
        self.latencies.append(latency * 1000.0)
        self.sent += 1
        image = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
        _, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        header = {"index": frame.index, "silent": frame.silent, "latency_ms": round(latency * 1000.0, 2)}
        encoded = json.dumps(header).encode()
        return struct.pack("<I", len(encoded)) + encoded + jpeg.tobytes()

    def summary(self) -> dict:
        """Latency percentiles of the frames sent, ms: {p50, p95, max} ({} before any)."""
        if not self.latencies:
            return {}
        values = np.asarray(self.latencies)
        return {k: round(float(np.percentile(values, q)), 2) for k, q in (("p50", 50), ("p95", 95), ("max", 100))}

    def close(self) -> None:
        """Release the server's lock, once (a later session may hold it by then)."""
        if self._open:
            self._open = False
            self.lock.release()
