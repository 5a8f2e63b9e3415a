"""The ``lipsync serve`` page in the system Chromium: pick a face and a speech file, and the
lip-synced frames arrive live with their processing latency (screenshot: logs/browser/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lipsync.media.writer import write_wav
from tests.browser.pages import image_loaded
from tests.inference.conftest import speech_like, write_media, write_ours_checkpoint
from tests.inference.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve_page")
    media = write_media(folder)
    speech = folder / "two_seconds.wav"
    write_wav(speech, speech_like(2.0, (0.3, 1.7), rate=22050), 22050)  # any rate: the page resamples to 16 kHz
    with running_server(folder, media["photo"], write_ours_checkpoint(folder / "ours.pt")) as server:
        yield server, speech


def test_the_page_streams_speech_and_shows_frames_with_their_latency(page, live):
    server, speech = live
    page.goto(server.url)
    expect(page.get_by_role("heading", name="lipsync: live")).to_be_visible()
    expect(page.locator("#face option")).to_have_text([server.face])
    page.set_input_files("#speech", str(speech))
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#status")).to_have_text("streaming")
    expect(page.locator("#model")).to_contain_text("ours.pt (LipSyncGenerator")
    expect(page.locator("#delay")).to_have_text("212.5 ms")
    expect(page.locator("#status")).to_have_text(re.compile(r"done: \d+ frames"), timeout=60_000)
    assert page.locator("#status").inner_text() == "done: 50 frames"  # 2 s of speech at 25 fps
    assert int(page.locator("#frames").inner_text()) == 50
    assert re.fullmatch(r"[\d.]+ / [\d.]+ ms", page.locator("#percentiles").inner_text())
    assert image_loaded(page, "#frame")
    assert page.locator("#frame").evaluate("img => [img.naturalWidth, img.naturalHeight]") == [512, 512]
