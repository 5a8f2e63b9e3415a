"""Render one corpus clip in memory: frames, audio and ground truth, nothing written.

Every random choice of clip j of speaker i comes from a generator seeded with
(seed, 1, i, j), so a clip is the same whichever worker renders it and whatever was
rendered before (speech runs in a fresh espeak process, see :mod:`lipsync.corpus.espeak`).

A share of the training clips is dirty (``corpus.dirty``): after rendering, their audio track
is shifted against the frames (:func:`shift_audio`), drawn from its own stream (seed, 2, i, j)
so clean clips are byte-identical whatever the share.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lipsync.corpus.articulation import articulate_clip
from lipsync.corpus.lipwarp import articulated_mesh, lips_box, mouth_paint, photo_rig, warp_mouth
from lipsync.corpus.mouth import MouthColors, draw_mouth
from lipsync.corpus.photos import builtin_photo_set, prepare_photo
from lipsync.corpus.scene import apply_transform, frame_transform, lighting_for, lit_photo
from lipsync.corpus.settings import CorpusSettings, DirtySettings, PhotoSettings
from lipsync.corpus.speakers import Look
from lipsync.corpus.visemes import viseme_of


@dataclass(frozen=True)
class ClipTruth:
    """Ground truth of one clip; T frames, P phonemes; positions in output-frame pixels, pixel
    (i, j) covering [i, i + 1) x [j, j + 1) (the photo annotations use the same convention).

    face_boxes: float32 (T, 4) x0, y0, x1, y1 (MTCNN convention, upright).
    landmarks: float32 (T, 5, 2) left eye, right eye, nose, left/right neutral mouth corner.
    mouth_params: float32 (T, 3) open, width, round in [0, 1], at frame centres (i + 0.5) / fps.
    mouth_boxes: float32 (T, 4) bounds of the lips: moved (renderer warp,
        :func:`lipsync.corpus.lipwarp.lips_box`) or drawn (lens).
    phonemes, visemes: (P,) espeak mnemonics and their viseme names.
    phoneme_times: float32 (P, 2) start, end seconds from the start of the clip.
    audio_shift_frames: the AV offset of a dirty clip in frames, syncnet_python's sign
        (:mod:`lipsync.evaluation.sync`): +k, the audio leads the picture by k frames (the sound
        of frame i sits at audio frame i - k); 0 for a clean clip. Mouth params, phonemes and
        phoneme times follow the picture.
    """

    speaker: str
    photo: str
    split: str
    voice: str
    text: str
    fps: int
    sample_rate: int
    face_boxes: np.ndarray
    landmarks: np.ndarray
    mouth_params: np.ndarray
    mouth_boxes: np.ndarray
    phonemes: tuple[str, ...]
    visemes: tuple[str, ...]
    phoneme_times: np.ndarray
    audio_shift_frames: int = 0

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything as numpy arrays (strings as unicode arrays), for ``np.savez``."""
        return {name: np.asarray(value) for name, value in vars(self).items()}


@dataclass(frozen=True)
class RenderedClip:
    """frames: uint8 (T, H, W, 3) RGB; audio: float32 (N,) mono, N = T * sample_rate / fps."""

    frames: np.ndarray
    audio: np.ndarray
    truth: ClipTruth


def render_clip(
    settings: CorpusSettings, speaker_index: int, clip_index: int, photos: dict[str, PhotoSettings] | None = None
) -> RenderedClip:
    """Clip ``clip_index`` of speaker ``speaker_index``, deterministic in (seed, speaker, clip), on
    ``photos`` (identity -> record, from ``data/photos``; None: the built-in photos)."""
    photos = builtin_photo_set(settings) if photos is None else photos
    clip = articulate_clip(settings, speaker_index, clip_index, photos)
    speaker, n_frames, motion, speech, params = (
        clip.speaker,
        clip.n_frames,
        clip.motion,
        clip.speech,
        clip.mouth_params,
    )
    frames, geometry = render_frames(
        settings, photos[speaker.photo], speaker.look, params, [motion.at(i / settings.fps) for i in range(n_frames)]
    )
    shift = dirty_shift(settings.dirty, settings.seed, speaker_index, clip_index) if speaker.split == "train" else 0
    per_frame = settings.sample_rate // settings.fps
    noise = np.random.default_rng([settings.seed, DIRTY_STREAM, speaker_index, clip_index, 1])
    audio = shift_audio(speech.audio, shift * per_frame, noise, settings.speech.noise)
    truth = ClipTruth(
        speaker=speaker.id,
        photo=speaker.photo,
        split=speaker.split,
        voice=speaker.voice.name,
        text=speech.text,
        fps=settings.fps,
        sample_rate=settings.sample_rate,
        mouth_params=params,
        phonemes=speech.phonemes,
        visemes=tuple(viseme_of(p, settings.mouth) for p in speech.phonemes),
        phoneme_times=speech.phoneme_times.astype(np.float32),
        audio_shift_frames=shift,
        **geometry,
    )
    return RenderedClip(frames, audio, truth)


DIRTY_STREAM = 2  # after the speaker (0) and clip (1) streams of lipsync.corpus.speakers


def dirty_shift(settings: DirtySettings, seed: int, speaker_index: int, clip_index: int) -> int:
    """The AV offset (frames, syncnet_python's sign) of clip (speaker, clip); 0 when clean."""
    rng = np.random.default_rng([seed, DIRTY_STREAM, speaker_index, clip_index])
    dirty, size, sign = rng.random() < settings.share, rng.integers(*settings.shift_frames, endpoint=True), rng.random()
    return int(size if sign < 0.5 else -size) if dirty else 0


def shift_audio(audio: np.ndarray, lead: int, rng: np.random.Generator, noise: float) -> np.ndarray:
    """float (N,) audio led by ``lead`` samples (negative: delayed), the same length: sample t
    becomes ``audio[t + lead]``; the part that moves in is the noise floor (std ``noise``)."""
    if lead == 0:
        return audio
    out = rng.normal(0.0, noise, len(audio)).astype(audio.dtype)
    if abs(lead) >= len(audio):
        return out
    if lead > 0:
        out[: len(audio) - lead] = audio[lead:]
    else:
        out[-lead:] = audio[: len(audio) + lead]
    return out


def render_frames(
    settings: CorpusSettings, photo: PhotoSettings, look: Look, params: np.ndarray, motions: list[np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """uint8 (T, S, S, 3) frames of ``photo`` framed and lit by ``look``, its mouth at ``params``
    (T, 3), its head at ``motions`` (T of :meth:`lipsync.corpus.scene.Motion.at`), and their
    geometry (the :class:`ClipTruth` fields face_boxes, landmarks, mouth_boxes)."""
    renderer = settings.mouth.renderer
    warping = renderer == "warp"
    rig = photo_rig(photo, settings.mouth.warp) if renderer != "lens" else None
    prepared = prepare_photo(photo, settings.mouth) if renderer == "lens" else None
    lighting = lighting_for(look, photo)
    lit = lit_photo(prepared.pixels if prepared else rig.pixels, photo, lighting, settings.lighting)
    landmarks = np.asarray(photo.landmarks, dtype=np.float64)  # (5, 2)
    mouth_centre = landmarks[3:5].mean(axis=0)
    if warping:
        paint = mouth_paint(lit, rig.landmarks, settings.mouth.warp)
    elif prepared:
        colors = MouthColors(
            lip=lighting.apply(prepared.lip_rgb, lighting.factor(*photo.lip_point)).astype(np.float32),
            teeth=lighting.apply(np.asarray(settings.mouth.teeth_color), lighting.factor(*mouth_centre)),
            interior=lighting.apply(np.asarray(settings.mouth.interior_color), lighting.factor(*mouth_centre)),
        )
    # Area-downscale the photo once when it is shown smaller than its pixels (no aliasing).
    shrink = min(1.0, float(np.hypot(*frame_transform(photo, look, settings.frame_size, np.zeros(4))[:, 0])))
    source = cv2.resize(lit, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA) if shrink < 1 else lit
    source_scale = (source.shape[1] / lit.shape[1], source.shape[0] / lit.shape[0])
    x0, y0, x1, y1 = photo.face_box
    box_centre, box_size = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([x1 - x0, y1 - y0])

    size, n = settings.frame_size, len(motions)
    frames = np.empty((n, size, size, 3), np.uint8)
    out = {name: np.empty((n, *shape), np.float32) for name, shape in
           (("face_boxes", (4,)), ("landmarks", (5, 2)), ("mouth_boxes", (4,)))}  # fmt: skip
    for i, motion in enumerate(motions):
        matrix = frame_transform(photo, look, size, motion)
        warp = _cv2_warp(matrix, source_scale)
        frame = cv2.warpAffine(source, warp, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        points = apply_transform(matrix, landmarks)
        if warping:
            neutral = apply_transform(matrix, rig.mesh.points)
            moved = apply_transform(matrix, articulated_mesh(rig, params[i], settings.mouth.warp))
            to_source = _frame_to_source(matrix, source_scale)
            out["mouth_boxes"][i] = warp_mouth(
                frame, source, to_source, neutral, moved, rig.mesh, paint, settings.mouth.warp
            )
        elif prepared:
            out["mouth_boxes"][i] = draw_mouth(frame, points[3:5], params[i], colors, settings.mouth)
        else:  # the photo's own still mouth
            out["mouth_boxes"][i] = lips_box(apply_transform(matrix, rig.landmarks))
        frames[i] = np.clip(frame * 255.0 + 0.5, 0, 255).astype(np.uint8)
        centre, half = apply_transform(matrix, box_centre), 0.5 * box_size * np.hypot(*matrix[:, 0])
        out["face_boxes"][i] = (*(centre - half), *(centre + half))
        out["landmarks"][i] = points
    return frames, out


def _cv2_warp(matrix: np.ndarray, source_scale: tuple[float, float]) -> np.ndarray:
    """(2, 3) photo -> frame affine (pixel i spans [i, i + 1)) as cv2.warpAffine wants it.

    OpenCV puts pixel centres at integer coordinates and ``cv2.resize`` maps centres:
    photo = (source + 0.5) / scale - 0.5. Both are folded in here.
    """
    linear = matrix[:, :2] / np.asarray(source_scale)
    return np.hstack([linear, (matrix[:, 2] - 0.5 + linear @ np.full(2, 0.5))[:, None]])


def _frame_to_source(matrix: np.ndarray, source_scale: tuple[float, float]) -> np.ndarray:
    """(2, 3) frame px (pixel i spans [i, i + 1)) -> cv2 coordinates of the resized photo
    (pixel centres at integers): the inverse of ``matrix``, then source = photo * scale - 0.5."""
    inverse = cv2.invertAffineTransform(matrix.astype(np.float64))
    scaled = inverse * np.asarray(source_scale, np.float64)[:, None]
    scaled[:, 2] -= 0.5
    return scaled
