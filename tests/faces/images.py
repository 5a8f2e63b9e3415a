"""Real face photographs, and images the tests make from them deterministically.

These are the images of the MTCNN reference fixture (``fixtures/mtcnn_reference.json``): the
fixture records each image's recipe and the sha256 of its pixels, so a test that rebuilds an
image differently (another JPEG decoder, another OpenCV) fails on the hash, not on the boxes.
"""

from __future__ import annotations

import hashlib

import cv2
import matplotlib.cbook
import numpy as np
import skimage.data

from lipsync.faces.synthetic import moving_face_clip

# The astronaut's face box, (x0, y0, x1, y1) photo pixels (as annotated in params.yaml's corpus).
ASTRONAUT_FACE = np.float32([181.0, 86.0, 269.0, 178.0])


def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


def camera() -> np.ndarray:
    return np.repeat(skimage.data.camera()[..., None], 3, axis=2)


def grace_hopper() -> np.ndarray:
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def mirrored(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def tile(image: np.ndarray, centre: tuple[float, float], half: int, side: int) -> np.ndarray:
    """A side x side square cut around ``centre`` (x, y) with half-width ``half``, area-resized."""
    x, y = int(centre[0]), int(centre[1])
    square = image[max(y - half, 0) : y + half, max(x - half, 0) : x + half]
    return cv2.resize(square, (side, side), interpolation=cv2.INTER_AREA)


def group_photo(side: int = 200) -> np.ndarray:
    """Six faces in a 3 x 2 grid of ``side`` px tiles: uint8 (2 side, 3 side, 3) RGB."""
    faces = [
        tile(astronaut(), (225, 132), 110, side),
        tile(mirrored(astronaut()), (287, 132), 110, side),
        tile(grace_hopper(), (265, 245), 200, side),
        tile(camera(), (230, 165), 70, side),
        tile(mirrored(grace_hopper()), (247, 245), 200, side),
        tile(mirrored(camera()), (282, 165), 70, side),
    ]
    return np.concatenate([np.concatenate(faces[:3], axis=1), np.concatenate(faces[3:], axis=1)], axis=0)


def padded(image: np.ndarray, shape: tuple[int, int], at: tuple[int, int], grey: int) -> np.ndarray:
    """``image`` placed with its top-left corner at ``at`` (x, y) on a flat grey (h, w) canvas."""
    canvas = np.full((*shape, 3), grey, dtype=np.uint8)
    x, y = at
    canvas[y : y + image.shape[0], x : x + image.shape[1]] = image
    return canvas


def video_frame(size: int, index: int) -> np.ndarray:
    """Frame ``index`` of the synthetic talking-head clip of ``lipsync.faces.synthetic`` (astronaut)."""
    frames, _ = moving_face_clip(astronaut(), ASTRONAUT_FACE, length=index + 1, size=size, face_fraction=0.4)
    return frames[index]


# name -> (how it is made, builder); the fixture stores the description next to its outputs.
REFERENCE_IMAGES = {
    "astronaut": ("skimage.data.astronaut()", astronaut),
    "camera": ("skimage.data.camera() repeated to 3 channels", camera),
    "grace_hopper": ("matplotlib sample grace_hopper.jpg, cv2.imread, BGR->RGB", grace_hopper),
    "astronaut_mirrored": ("astronaut flipped left-right", lambda: mirrored(astronaut())),
    "astronaut_cut": (
        "astronaut[40:340, 205:465]: the face cut by the left border",
        lambda: np.ascontiguousarray(astronaut()[40:340, 205:465]),
    ),
    "grace_hopper_small_padded": (
        "grace_hopper area-resized to 256x300 (cv2.INTER_AREA), pasted at x=40, y=60 on a 480x400 canvas of grey 128",
        lambda: padded(cv2.resize(grace_hopper(), (256, 300), interpolation=cv2.INTER_AREA), (400, 480), (40, 60), 128),
    ),
    "video_256": (
        "frame 7 of lipsync.faces.synthetic.moving_face_clip(astronaut, ASTRONAUT_FACE, size=256, face_fraction=0.4)",
        lambda: video_frame(256, 7),
    ),
    "video_112": ("frame 7 of the same clip at size=112", lambda: video_frame(112, 7)),
    "group_of_six": (
        "tests.faces.images.group_photo(200): six face tiles (astronaut, mirrored astronaut, "
        "grace_hopper, camera, mirrored grace_hopper, mirrored camera) in a 3 x 2 grid",
        group_photo,
    ),
}


def pixels_sha256(image: np.ndarray) -> str:
    """sha256 of a uint8 (H, W, 3) image's C-ordered bytes."""
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).hexdigest()
