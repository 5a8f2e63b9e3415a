"""Asset metadata helpers: images as a thumbnail the Dagster UI shows in place, a preview and a
path; figures as int or float entries."""

import base64

import cv2
import dagster as dg
import numpy as np

from assets.metadata import INLINE_MARKDOWN_LIMIT, PREVIEW_SIDE, image_metadata, mlflow_ui_url, number
from tests.builders import loaded_params, make_project


def decoded(markdown: str) -> np.ndarray:
    data = markdown.split("base64,", 1)[1].rstrip(")")
    return cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)


def test_an_image_becomes_an_inline_thumbnail_a_preview_and_its_path(tmp_path):
    rng = np.random.default_rng(0)
    sheet = rng.integers(0, 256, (768, 768, 3), dtype=np.uint8)  # noise: the hardest case to compress
    path = tmp_path / "contact_sheet.png"
    cv2.imwrite(str(path), sheet)
    meta = image_metadata("contact_sheet", path)
    assert set(meta) == {"contact_sheet", "contact_sheet_preview", "contact_sheet_file"}
    inline = meta["contact_sheet"].value
    assert inline.startswith("![contact sheet](data:image/webp;base64,") and len(inline) < INLINE_MARKDOWN_LIMIT
    assert max(decoded(inline).shape[:2]) >= 48
    assert decoded(meta["contact_sheet_preview"].value).shape[:2] == (PREVIEW_SIDE, PREVIEW_SIDE)
    assert meta["contact_sheet_file"] == dg.MetadataValue.path(str(path))


def test_numbers_are_int_for_counts_and_rounded_floats_otherwise():
    assert number(16.0) == dg.MetadataValue.int(16)
    assert number(0.123456789) == dg.MetadataValue.float(0.123457)


def test_the_mlflow_ui_address_comes_from_params(tmp_path):
    project = make_project(tmp_path / "proj", {"tracking": {"ui_url": "http://mlflow.internal:8080"}})
    assert mlflow_ui_url(project.params) == "http://mlflow.internal:8080"
    assert mlflow_ui_url(loaded_params()) == "http://127.0.0.1:5000"  # the project's: make mlflow-ui
