"""The raw-folder scan: what it reads, what it passes over and why (folders the tests make)."""

from __future__ import annotations

import os

import pytest

from lipsync.ingest.scan import scan_raw_videos

EXTENSIONS = (".mp4", ".mov")
IGNORE = ("@eaDir", "$RECYCLE.BIN", "lost+found")


def scan(root):
    found = scan_raw_videos(root, EXTENSIONS, IGNORE)
    return [v.relative for v in found.videos], {e.relative: e.reason for e in found.skipped}, found


def put(path, content=b"video bytes"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_plain_videos_are_found_sorted_and_other_files_counted(tmp_path):
    put(tmp_path / "bob" / "b.MP4", b"b")
    put(tmp_path / "alice" / "a.mp4", b"a")
    put(tmp_path / "alice" / "a.txt", b"transcript")
    videos, skipped, found = scan(tmp_path)
    assert videos == ["alice/a.mp4", "bob/b.MP4"] and skipped == {} and found.other_files == 1
    assert found.videos[0].speaker == "alice" and found.videos[0].clip == "a"


@pytest.mark.parametrize(
    "folder", [".Trash-1000", ".cache", "@eaDir", "$RECYCLE.BIN", "lost+found", "alice/.thumbnails"]
)
def test_hidden_and_system_folders_are_listed_once_and_not_read(tmp_path, folder):
    put(tmp_path / "alice" / "a.mp4")
    put(tmp_path / folder / "deleted" / "old.mp4", b"old")
    videos, skipped, _ = scan(tmp_path)
    assert videos == ["alice/a.mp4"]
    assert list(skipped) == [folder] and skipped[folder].startswith("hidden or system folder")


def test_hidden_video_file_is_listed(tmp_path):
    put(tmp_path / "alice" / "._a.mp4", b"apple double")
    put(tmp_path / ".DS_Store", b"finder")
    videos, skipped, found = scan(tmp_path)
    assert videos == [] and list(skipped) == ["alice/._a.mp4"] and found.other_files == 1
    assert skipped["alice/._a.mp4"].startswith("hidden or system file")


def test_dangling_and_self_looping_links_are_listed(tmp_path):
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "nowhere.mp4")
    (tmp_path / "loop.mp4").symlink_to(tmp_path / "loop.mp4")
    videos, skipped, _ = scan(tmp_path)
    assert videos == []
    assert skipped["gone.mp4"].startswith("dangling link") and "nowhere.mp4" in skipped["gone.mp4"]
    assert skipped["loop.mp4"].startswith("dangling link")


def test_symlinked_folders_are_listed_and_never_followed_so_a_loop_cannot_hang(tmp_path):
    put(tmp_path / "alice" / "a.mp4")
    (tmp_path / "alice" / "up").symlink_to(tmp_path)  # a loop back to the root
    (tmp_path / "mirror").symlink_to(tmp_path / "alice")
    videos, skipped, _ = scan(tmp_path)
    assert videos == ["alice/a.mp4"]
    assert set(skipped) == {"alice/up", "mirror"}
    assert all(r.startswith("symlinked folder, not followed") for r in skipped.values())


def test_symlinked_file_inside_the_root_is_followed(tmp_path):
    put(tmp_path / "store" / "a.bin", b"content")
    (tmp_path / "a.mp4").symlink_to(tmp_path / "store" / "a.bin")
    videos, skipped, found = scan(tmp_path)
    assert videos == ["a.mp4"] and skipped == {} and not found.videos[0].escapes_root
    assert found.videos[0].sha256 is not None


def test_folder_named_like_a_video_is_listed_and_its_contents_scanned(tmp_path):
    put(tmp_path / "clip.mp4" / "inner.mov")
    videos, skipped, _ = scan(tmp_path)
    assert videos == ["clip.mp4/inner.mov"]
    assert skipped == {"clip.mp4": "a folder named like a video (its contents are scanned)"}


def test_pipe_named_like_a_video_is_listed_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.mp4")  # reading it would block
    videos, skipped, _ = scan(tmp_path)
    assert videos == [] and skipped == {"pipe.mp4": "not a regular file (a pipe, socket or device)"}


def test_unreadable_file_and_folder_are_listed(tmp_path, monkeypatch):
    """Permission errors are simulated: the tests may run as root, who reads any file."""
    import lipsync.ingest.scan as scan_module

    put(tmp_path / "locked.mp4")
    put(tmp_path / "closed" / "a.mp4")
    real_scandir, real_sha = os.scandir, scan_module.file_sha256

    def scandir(path):
        if str(path).endswith("closed"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    def sha(path):
        if path.name == "locked.mp4":
            raise PermissionError(13, "Permission denied")
        return real_sha(path)

    monkeypatch.setattr(scan_module.os, "scandir", scandir)
    monkeypatch.setattr(scan_module, "file_sha256", sha)
    videos, skipped, _ = scan(tmp_path)
    assert videos == []
    assert skipped == {
        "closed": "unreadable folder: Permission denied",
        "locked.mp4": "unreadable file: Permission denied",
    }
