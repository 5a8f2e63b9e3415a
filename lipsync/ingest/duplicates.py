"""Tell when two raw files hold the same content, so one clip cannot sit in two splits.

Two prints per file (:class:`ContentPrint`):

- ``streams``: a sha256 over the demuxed packets' payloads, stream by stream (video
  streams first). A byte copy and a stream-copy remux (``ffmpeg -c copy`` into MKV or MOV)
  carry the same packets, so the same digest, whatever the container. Demuxing reads
  no pixels: about as cheap as hashing the file's bytes.
- a perceptual print for re-encoded copies: a 64-bit difference hash (dHash) of the grey
  picture at ``frames`` fixed fractions of the video's length, and the audio's loudness
  (dB) in 0.1 s blocks. Two files are duplicates when their mean Hamming distance is at
  most ``max_bits`` of 64 *and* their loudness differs by at most ``max_audio_db`` on
  average: the audio keeps two clips of one still face (or one background) speaking
  different words apart, and a re-encode at another bitrate changes neither much. It also
  catches remuxes whose packets change (H.264 into MPEG-TS is rewritten to Annex B).

Written by hand: libraries such as ``imagehash`` or ``videohash`` would add a dependency for
the twenty lines of a dHash, do not look at the audio, and hash whole videos by their own
sampling, which the threshold stated in ``params.yaml`` could not follow.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lipsync.media.probe import open_container
from lipsync.media.reader import read_audio

AUDIO_RATE = 16000
BLOCK_S = 0.1  # loudness block of the audio print
SILENCE_DB = -80.0  # loudness floor: digital silence and codec noise compare equal
AUDIO_SLACK = 2  # blocks: audio lengths of one content differ by codec padding only (AAC: 64 ms)


@dataclass(frozen=True)
class ContentPrint:
    """streams: hex sha256 of the packet payloads. frames: dHash (64-bit) per sampled frame.
    loudness: dB per 0.1 s block of the 16 kHz mono audio. duration_s: the video's length."""

    streams: str
    frames: tuple[int, ...]
    loudness: tuple[float, ...]
    duration_s: float

    def as_dict(self) -> dict:
        return {"streams": self.streams, "frames": list(self.frames), "loudness": list(self.loudness),
                "duration_s": self.duration_s}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> ContentPrint:
        return cls(d["streams"], tuple(d["frames"]), tuple(d["loudness"]), d["duration_s"])


def content_print(path: Path, frames: int) -> ContentPrint:
    """The prints of one file (``frames`` pictures sampled). Raises MediaError or av's errors
    for a file that cannot be read (the caller treats it as having no print)."""
    digest, duration_s = _stream_digest(path)
    return ContentPrint(digest, _frame_hashes(path, frames, duration_s), _loudness(path), round(duration_s, 3))


def _stream_digest(path: Path) -> tuple[str, float]:
    """sha256 over each audio and video stream's packet payloads (video first) and the video's length (s)."""
    with open_container(path) as container:
        media = [s for s in container.streams if s.type in ("video", "audio")]  # not subtitles, data, timecode
        order = sorted(media, key=lambda s: (s.type != "video", s.index))
        digests = {s.index: hashlib.sha256(f"{s.type}:{s.codec_context.name}".encode()) for s in order}
        end = 0.0
        for packet in container.demux():
            if packet.size and packet.stream.index in digests:
                digests[packet.stream.index].update(bytes(packet))
                if packet.stream.type == "video" and packet.pts is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        video = next((s for s in order if s.type == "video"), None)
        start = float(video.start_time * video.time_base) if video and video.start_time is not None else 0.0
        total = hashlib.sha256("".join(digests[s.index].hexdigest() for s in order).encode())
    return total.hexdigest(), max(0.0, end - start)


def _frame_hashes(path: Path, count: int, duration_s: float) -> tuple[int, ...]:
    """dHash of the picture shown at (i + 0.5) / count of the video's length, i < count."""
    with open_container(path) as container:
        if not container.streams.video:
            return ()
        video = container.streams.video[0]
        start = float(video.start_time * video.time_base) if video.start_time is not None else 0.0
        hashes = []
        for i in range(count):
            target = start + (i + 0.5) / count * duration_s
            container.seek(int(target / video.time_base), stream=video, backward=True, any_frame=False)
            shown = None
            for frame in container.decode(video):
                if shown is not None and frame.time > target + 1e-6:
                    break
                shown = frame
            hashes.append(dhash(shown.to_ndarray(format="gray")) if shown is not None else 0)
    return tuple(hashes)


def dhash(grey: np.ndarray) -> int:
    """64-bit difference hash of ``grey`` (uint8 (H, W)): each bit says whether a pixel of the
    9x8 thumbnail is brighter than its right neighbour."""
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def _loudness(path: Path) -> tuple[float, ...]:
    audio = read_audio(path, AUDIO_RATE)
    block = int(AUDIO_RATE * BLOCK_S)
    blocks = audio[: len(audio) // block * block].reshape(-1, block).astype(np.float64)
    rms = np.sqrt((blocks**2).mean(axis=1))
    return tuple(round(float(max(SILENCE_DB, 20 * np.log10(r + 1e-12))), 2) for r in rms)


def frame_distance(a: ContentPrint, b: ContentPrint) -> float:
    """Mean Hamming distance (bits of 64) between the two files' sampled pictures."""
    if len(a.frames) != len(b.frames) or not a.frames:
        return 64.0
    return float(np.mean([bin(x ^ y).count("1") for x, y in zip(a.frames, b.frames, strict=True)]))


def audio_difference_db(a: ContentPrint, b: ContentPrint) -> float:
    """Mean absolute loudness difference (dB) over the common blocks; inf without audio."""
    n = min(len(a.loudness), len(b.loudness))
    if not n:
        return float("inf")
    return float(np.mean(np.abs(np.subtract(a.loudness[:n], b.loudness[:n]))))


def same_content(a: ContentPrint, b: ContentPrint, max_bits: float, max_audio_db: float, fps: int) -> str:
    """Why ``b`` holds ``a``'s content ('' when it does not): the same packets, or pictures
    and sound within the thresholds (video lengths within one frame at ``fps``, audio lengths
    within :data:`AUDIO_SLACK` blocks)."""
    if a.streams == b.streams:
        return "the same audio and video streams"
    if abs(a.duration_s - b.duration_s) > 1.0 / fps + 1e-6 or abs(len(a.loudness) - len(b.loudness)) > AUDIO_SLACK:
        return ""
    bits, db = frame_distance(a, b), audio_difference_db(a, b)
    if bits <= max_bits and db <= max_audio_db:
        return f"a re-encoded copy (pictures {bits:.1f} bits of 64 apart, sound {db:.1f} dB)"
    return ""
