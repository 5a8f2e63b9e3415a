"""Our port against the ``mtcnn`` package's own detector (TensorFlow), at the package's default settings.

The reference outputs were computed once with the package (see the fixture's ``about``) on the
images of ``tests/faces/images.py``. Every reference face must be found, with box IoU >= 0.95
and each of the five keypoints within 2% of the box size; we also ask for the same number of
faces and nearly the same confidence.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.ops import box_iou

from lipsync.faces.detect import detect_faces, pyramid
from lipsync.faces.settings import DetectorSettings
from lipsync.faces.suppression import suppress
from tests.faces.images import REFERENCE_IMAGES, pixels_sha256

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "mtcnn_reference.json").read_text())

# mtcnn 1.0.0's defaults (MTCNN.detect_faces): min_face_size 20, scale_factor 0.709, thresholds
# 0.6 / 0.7 / 0.8, NMS 0.5 and 0.7 for P-Net, 0.7 for R-Net and O-Net. The package never
# downscales the frame, hence a max_side no image reaches.
PACKAGE_DEFAULTS = DetectorSettings(
    min_face_size=20,
    scale_factor=0.709,
    thresholds=(0.6, 0.7, 0.8),
    nms_thresholds=(0.5, 0.7, 0.7, 0.7),
    max_side=100_000,
    precision="float32",
)


def fit_to_image(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """The package's default post-processing (fit_to_image): corners clipped to [0, W - 1] x [0, H - 1].

    Our detector leaves boxes unclipped: the tracker needs the whole box of a face cut by the border.
    """
    return np.clip(boxes, 0, np.array([width, height, width, height], dtype=np.float32) - 1)


@pytest.mark.parametrize("name", list(FIXTURE["images"]))
def test_port_reproduces_the_package(name):
    reference = FIXTURE["images"][name]
    image = REFERENCE_IMAGES[name][1]()
    assert pixels_sha256(image) == reference["sha256"], f"{name}: the test image is not the one the fixture used"
    found = detect_faces(image[None], PACKAGE_DEFAULTS)[0]
    assert len(found.scores) == len(reference["faces"])
    boxes = fit_to_image(found.boxes, *image.shape[:2])
    for face in reference["faces"]:
        box = np.float32(face["box"])
        overlap = box_iou(torch.from_numpy(box[None]), torch.from_numpy(boxes))[0].numpy()
        j = int(overlap.argmax())
        assert overlap[j] >= 0.95, f"{name}: face {box} found at {boxes[j]} (IoU {overlap[j]:.3f})"
        size = max(box[2] - box[0], box[3] - box[1])
        error = np.abs(found.landmarks[j] - np.float32(face["keypoints"])).max() / size
        assert error <= 0.02, f"{name}: keypoints off by {error:.1%} of the box size"
        assert abs(found.scores[j] - face["confidence"]) < 0.005


def test_group_photo_has_six_faces_and_a_small_false_one():
    """The package finds the six tiles' faces plus a 27 px false face in the camera tile; so do we."""
    faces = FIXTURE["images"]["group_of_six"]["faces"]
    sides = sorted(f["box"][2] - f["box"][0] for f in faces)
    assert len(faces) == 7 and sides[0] < 30 and sides[1] > 75


def test_pyramid_follows_the_package():
    # 512 px: round(log(512 / 12) / -log(0.709) - 1) = 10 levels from 12 / 20, sizes truncated
    levels = pyramid(512, 512, 20, 0.709)
    assert len(levels) == 10 and levels[0] == (0.6, 307, 307)
    assert levels[-1][1] == int(512 * 0.6 * 0.709**9) == 13
    assert [level[1:] for level in pyramid(300, 260, 20, 0.709)[:3]] == [(180, 156), (127, 110), (90, 78)]
    # a larger min face keeps the package's count; levels under 12 px (no P-Net window) go
    assert all(min(h, w) >= 12 for _, h, w in pyramid(512, 512, 40, 0.709))
    assert len(pyramid(512, 512, 40, 0.709)) == 8


def test_suppression_drops_boxes_overlapped_by_dropped_boxes_and_nested_boxes():
    boxes = torch.tensor([[0.0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10], [30, 30, 60, 60], [35, 35, 45, 45]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95, 0.6])
    frame = torch.zeros(5, dtype=torch.long)
    # IoU(0, 1) = IoU(1, 2) = 0.54, IoU(0, 2) = 0.25: box 2 goes because box 1 (itself dropped) overlaps it
    assert suppress(boxes, scores, frame, 0.5, "union").tolist() == [3, 0, 4]
    # "min": the small box inside box 3 overlaps it fully (1.0), the others by 0.7 or less
    assert suppress(boxes, scores, frame, 0.75, "min").tolist() == [3, 0, 1, 2]
    assert suppress(boxes, scores, frame, 0.75, "union").tolist() == [3, 0, 1, 2, 4]
    # boxes of other frames never suppress each other
    assert sorted(suppress(boxes, scores, torch.arange(5), 0.5, "union").tolist()) == [0, 1, 2, 3, 4]
