"""``lipsync bench faces``'s memory figure: the stage runs in a fresh process per clip length."""

from __future__ import annotations

from lipsync.bench import faces_memory
from tests.builders import loaded_params


def test_peak_memory_is_measured_per_length_in_fresh_processes(tmp_path):
    result = faces_memory.measure(tmp_path, loaded_params(), (320, 180), (1.0, 2.0))
    assert result["frame_size"] == [320, 180]
    assert [result[k]["frames"] for k in ("1s", "2s")] == [25, 50]
    peaks = [result[k]["peak_rss_mb"] for k in ("1s", "2s")]
    assert all(peak > 100 for peak in peaks)  # the child's own peak: torch and the nets are loaded
    assert result["growth"] == round(peaks[1] / peaks[0] - 1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crops.npy", "track.npz"]  # clips deleted
