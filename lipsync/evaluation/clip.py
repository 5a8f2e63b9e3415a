"""A held-out clip as the evaluation sees it, and a dubbed pairing of two clips.

Frames are the faces stage's crops of the clip's longest face run; audio and mel are the
same span of the normalised audio and of the mel stage's features; mouth boxes map the
ground truth (or the landmarks) into the crops. Everything is cut to whole video frames
(640 samples each at 25 fps / 16 kHz).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipsync.audio.mel import MelSettings, mel_start_index


@dataclass(frozen=True)
class EvalClip:
    """clip_id: the video id; label: its source file; speaker.
    frames: uint8 (T, S, S, 3) RGB crops; audio: float32 (T x samples per frame,) mono in
    [-1, 1]; mel: float32 (bands, M) log-mel of the whole video the audio comes from, and
    audio_first_frame: that video's frame where ``audio`` starts (mel windows are cut at the
    video's own positions, exactly as in training); mouth_boxes: float32 (T, 4) crop pixels;
    fps: frames per second."""

    clip_id: str
    label: str
    speaker: str
    frames: np.ndarray
    audio: np.ndarray
    mel: np.ndarray
    audio_first_frame: int
    mouth_boxes: np.ndarray
    fps: int

    @property
    def length(self) -> int:
        return len(self.frames)

    def mel_windows(self, mel: MelSettings, mel_frames: int) -> np.ndarray:
        """float32 (T, 1, bands, mel_frames): the audio window of each frame (the project's
        convention, :func:`lipsync.audio.mel.mel_start_index`), silence past the end."""
        out = np.full((self.length, 1, self.mel.shape[0], mel_frames), -mel.max_abs_value, np.float32)
        for f in range(self.length):
            start = mel_start_index(self.audio_first_frame + f, self.fps, mel)
            window = self.mel[:, start : start + mel_frames]
            out[f, 0, :, : window.shape[1]] = window
        return out


def dubbed(video: EvalClip, audio: EvalClip) -> EvalClip:
    """``video``'s frames driven by ``audio``'s sound, both cut to the shorter clip (the
    cross-audio setting); identity and mouth boxes stay the video's."""
    length = min(video.length, audio.length)
    per_frame = len(audio.audio) // audio.length
    return EvalClip(
        clip_id=f"{video.clip_id}+{audio.clip_id}",
        label=f"{video.label} with the audio of {audio.label}",
        speaker=video.speaker,
        frames=video.frames[:length],
        audio=audio.audio[: length * per_frame],
        mel=audio.mel,
        audio_first_frame=audio.audio_first_frame,
        mouth_boxes=video.mouth_boxes[:length],
        fps=video.fps,
    )


def audio_pairing(clips: list[EvalClip]) -> list[int]:
    """For each clip the index of the clip whose audio dubs it: the next clip of another
    speaker in order (wrapping), or the next clip when all share one speaker. Fixed, so
    every row of the report is dubbed with the same audio."""
    out = []
    for i, clip in enumerate(clips):
        others = [(i + k) % len(clips) for k in range(1, len(clips))]
        other_speaker = [j for j in others if clips[j].speaker != clip.speaker]
        out.append((other_speaker or others or [i])[0])
    return out


def shifted(clip: EvalClip, frames: int) -> np.ndarray:
    """The clip's audio advanced by ``frames`` video frames (delayed when negative), zeros
    where it runs out: sound at frame t then belongs to frame t + frames, so a sync evaluator
    should report an AV offset of +``frames`` (syncnet_python's sign)."""
    per_frame = len(clip.audio) // clip.length
    step = frames * per_frame
    out = np.zeros_like(clip.audio)
    if step >= 0:
        out[: len(out) - step] = clip.audio[step:]
    else:
        out[-step:] = clip.audio[: len(out) + step]
    return out
