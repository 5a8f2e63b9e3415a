"""Job lists: a worker pool runs every row; a bad row is reported and never stops the others."""

from __future__ import annotations

import pytest

from lipsync.cli import main
from lipsync.inference.jobs import JobListError, read_job_list
from tests.inference.conftest import frame_count_of

pytestmark = pytest.mark.slow


def write_jobs(folder, media, checkpoint) -> object:
    path = folder / "jobs.csv"
    path.write_text(
        "face,audio,out,model\n"
        f"{media['photo']},{media['speech']},photo.mp4,{checkpoint}\n"
        f"missing_face.png,{media['speech']},missing.mp4,{checkpoint}\n"
        f"{media['video']},{media['speech']},video.mp4,{checkpoint}\n"
        f",{media['speech']},empty.mp4,\n"
    )
    return path


def test_a_job_list_with_bad_rows_finishes_the_others_and_reports_them(
    project, media, ours_checkpoint, tmp_path, capsys
):
    jobs = write_jobs(tmp_path, media, ours_checkpoint)
    code = main(["--root", str(project.root), "--no-progress", "infer", "--jobs", str(jobs), "--workers", "2"])
    table = capsys.readouterr().out
    assert code == 1  # some rows failed
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert [row.split("|")[5].strip() for row in rows] == ["ok", "failed", "ok", "failed"]
    assert "missing_face.png: no such file" in rows[1] and "line 5: empty face" in rows[3]
    assert "2 done, 2 failed" in table
    assert frame_count_of(tmp_path / "photo.mp4") == 40 == frame_count_of(tmp_path / "video.mp4")
    assert not (tmp_path / "missing.mp4").exists()
    log = project.layout.inference_log.read_text().splitlines()
    assert len(log) == 4 and sum("outcome=ok" in line for line in log) == 2


def test_a_job_list_without_its_columns_is_refused(tmp_path):
    bad = tmp_path / "jobs.csv"
    bad.write_text("video,speech\na.mp4,b.wav\n")
    with pytest.raises(JobListError, match="needs a header with columns face, audio, out"):
        read_job_list(bad)
    entries = read_job_list(_one_row(tmp_path, "7"))
    assert entries[0].face_index == 7 and entries[0].face == tmp_path / "f.png"  # relative to the CSV's folder
    assert "is not a whole number" in read_job_list(_one_row(tmp_path, "x"))[0].reason


def _one_row(folder, face_index: str):
    path = folder / "one.csv"
    path.write_text(f"face,audio,out,face_index\nf.png,a.wav,o.mp4,{face_index}\n")
    return path
