"""Builders for tests: H.264 + AAC files with the faults of real footage, made with PyAV:
a chosen audio start time and length, a display matrix, a pixel format, a stream-copy remux."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from tests.builders import gradient_frames

RATE, FPS = 16000, 25


def write_av(path, video_s=3.0, audio_s=None, audio_start_s=0.0, click_frame=None, rotation=0,
             pix_fmt="yuv420p", size=(64, 48), frames=None):  # fmt: skip
    """An H.264 + AAC file (container from the suffix). The audio stream's first sample is shown at
    ``audio_start_s`` on the video's clock (0 = with the first frame) and lasts ``audio_s`` (default:
    to the video's end); it is silent but for a 10 ms click at video frame ``click_frame``."""
    width, height = size
    frames = gradient_frames(int(round(video_s * FPS)), height, width) if frames is None else frames
    audio_s = video_s - audio_start_s if audio_s is None else audio_s
    samples = np.zeros(int(round(audio_s * RATE)), np.float32)
    if click_frame is not None:
        at = int(round((click_frame / FPS - audio_start_s) * RATE))
        samples[at : at + 160] = 0.8 * np.sin(np.arange(160) * 0.5)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        if rotation:
            video.set_display_rotation(rotation)
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        for i, frame in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            picture.pts = i
            out.mux(video.encode(picture))
        out.mux(video.encode())
        first = int(round(audio_start_s * RATE))
        for start in range(0, len(samples), 1024):
            chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = RATE, first + start, Fraction(1, RATE)
            out.mux(audio.encode(chunk))
        out.mux(audio.encode())


def remux(src, dst):
    """Stream copy into another container (what `ffmpeg -i a.mp4 -c copy b.mkv` does)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
