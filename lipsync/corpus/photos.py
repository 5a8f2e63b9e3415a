"""The face photographs that ship with installed packages, with their own mouths covered.

``load_photo`` reads a photo named in the settings (``skimage:astronaut``, ``skimage:camera``,
``matplotlib:grace_hopper.jpg``). ``prepare_photo`` inpaints an ellipse over the photo's
mouth (``cv2.inpaint``, Telea) once per photo and process, so the drawn mouth is the only
mouth in the frame, and samples the lip colour from the original lower lip.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from lipsync.corpus.settings import CorpusSettings, MouthSettings, PhotoSettings


@dataclass(frozen=True)
class PreparedPhoto:
    """pixels: float32 (H, W, 3) RGB in [0, 1], mouth inpainted; lip_rgb: float32 (3,) in [0, 1];
    mouth_width: distance between the annotated mouth corners, photo pixels."""

    pixels: np.ndarray
    lip_rgb: np.ndarray
    mouth_width: float


def load_photo(name: str, settings: CorpusSettings) -> np.ndarray:
    """Built-in photo ``name`` of ``settings.photos.builtin``: uint8 (H, W, 3) RGB."""
    builtin = settings.photos.builtin
    if name not in builtin:
        raise KeyError(f"unknown corpus photo {name!r}; params key corpus.photos.builtin has {sorted(builtin)}")
    return read_source(builtin[name].source)


def builtin_photo_set(settings: CorpusSettings) -> dict[str, PhotoSettings]:
    """The built-in photos as the records the corpus renders (what ``data/photos`` holds with
    ``corpus.photos.source: builtin``, without dlib's 68 points)."""
    return {
        name: PhotoSettings(p.source, p.face_box, p.landmarks, p.lip_point, split=p.split)
        for name, p in settings.photos.builtin.items()
    }


@functools.lru_cache(maxsize=8)
def read_source(source: str) -> np.ndarray:
    """``"file:<png>"``, ``"skimage:<function>"`` or ``"matplotlib:<sample file>"`` -> uint8 (H, W, 3) RGB
    (read-only)."""
    package, _, item = source.partition(":")
    if package == "file":
        bgr = cv2.imread(item, cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f"corpus photo {item} could not be read: run `lipsync run photos`")
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    elif package == "skimage":
        import skimage.data

        image = np.asarray(getattr(skimage.data, item)())
    elif package == "matplotlib":
        import matplotlib.cbook

        path = matplotlib.cbook.get_sample_data(item, asfileobj=False)
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f"matplotlib sample image {item!r} could not be read from {path}")
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    else:
        raise ValueError(f"photo source {source!r}: expected 'file:<path>', 'skimage:<name>' or 'matplotlib:<file>'")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)
    image.setflags(write=False)
    return image


def prepare_photo(photo: PhotoSettings, mouth: MouthSettings) -> PreparedPhoto:
    """The photo with its mouth inpainted and its lip colour (cached per process)."""
    return _prepare(photo, mouth.cover, mouth.inpaint_radius, mouth.lip_sample_radius)


@functools.lru_cache(maxsize=8)
def _prepare(
    photo: PhotoSettings, cover: tuple[float, float, float], radius: int, sample_radius: float
) -> PreparedPhoto:
    image = read_source(photo.source)
    left, right = np.asarray(photo.landmarks[3]), np.asarray(photo.landmarks[4])
    width = float(np.linalg.norm(right - left))
    axis = (right - left) / width
    normal = np.array([-axis[1], axis[0]])
    centre = (left + right) / 2 + cover[2] * width * normal
    mask = np.zeros(image.shape[:2], np.uint8)
    angle = float(np.degrees(np.arctan2(axis[1], axis[0])))
    axes = (int(round(cover[0] * width)), int(round(cover[1] * width)))
    cv2.ellipse(mask, (int(round(centre[0])), int(round(centre[1]))), axes, angle, 0, 360, 255, -1)
    covered = cv2.inpaint(image, mask, radius, cv2.INPAINT_TELEA)

    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    near = (xs - photo.lip_point[0]) ** 2 + (ys - photo.lip_point[1]) ** 2 <= max(1.5, sample_radius * width) ** 2
    lip = np.median(image[near].astype(np.float32), axis=0) / 255.0
    pixels = covered.astype(np.float32) / 255.0
    pixels.setflags(write=False)
    return PreparedPhoto(pixels=pixels, lip_rgb=lip.astype(np.float32), mouth_width=width)
