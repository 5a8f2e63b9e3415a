"""Square face crops: geometry, border handling, values."""

import numpy as np

from lipsync.faces.crop import crop_box, crop_faces
from lipsync.faces.settings import CropSettings

PLAIN = CropSettings(scale=1.0, chin_pad=0.0)


def test_crop_box_is_a_square_with_chin_padding():
    box = np.float32([100, 50, 180, 150])  # 80 wide, 100 tall
    assert crop_box(box, 640, 480, PLAIN) == (90, 50, 190, 150)
    x0, y0, x1, y1 = crop_box(box, 640, 480, CropSettings(scale=1.2, chin_pad=0.1))
    assert x1 - x0 == y1 - y0 == 132  # 1.2 x (100 + 10)
    assert (y0 + y1) / 2 == 105  # centre moved down by half the chin padding
    assert (x0 + x1) / 2 == 140


def test_crop_box_shifts_inside_the_frame_when_it_fits():
    assert crop_box(np.float32([-10, -20, 50, 40]), 200, 100, PLAIN) == (0, 0, 60, 60)
    assert crop_box(np.float32([170, 70, 210, 110]), 200, 100, PLAIN) == (160, 60, 200, 100)
    # larger than the frame: stays centred, crop_faces pads it
    assert crop_box(np.float32([0, 0, 150, 150]), 200, 100, PLAIN) == (0, 0, 150, 150)


def test_crop_faces_values_and_shapes():
    frames = np.zeros((3, 100, 200, 3), dtype=np.uint8)
    frames[:, 20:60, 40:80] = (200, 100, 50)  # the "face"
    boxes = np.float32([[40, 20, 80, 60], [np.nan] * 4, [40, 20, 80, 60]])
    crops = crop_faces(frames, boxes, 20, PLAIN)
    assert crops.shape == (3, 20, 20, 3) and crops.dtype == np.uint8
    assert (crops[0] == (200, 100, 50)).all() and (crops[2] == crops[0]).all()
    assert (crops[1] == 0).all()  # face absent: black


def test_crop_faces_pads_black_outside_the_frame():
    frames = np.full((1, 100, 100, 3), 255, dtype=np.uint8)
    crops = crop_faces(frames, np.float32([[0, -50, 100, 50]]), 50, CropSettings(scale=1.5, chin_pad=0.0))
    # a 150 px square centred on (50, 0): its top 75 rows and 25 columns each side are outside
    assert crops[0, :24].max() == 0 and crops[0, 27:, 10:40].min() == 255
    assert crops[0, 30, :8].max() == 0 and crops[0, 30, -8:].max() == 0
