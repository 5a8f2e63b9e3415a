"""``lipsync serve``: the page, the face list, the WebSocket protocol, and messages it refuses
without dying. The server runs as a process on 127.0.0.1, as a user starts it."""

from __future__ import annotations

import json
import struct
import urllib.request
from collections.abc import Iterator

import pytest

from tests.inference.conftest import speech_like
from tests.inference.serving import Server, running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(media, ours_checkpoint, tmp_path_factory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("serve"), media["photo"], ours_checkpoint) as running:
        yield running


def frames_of(messages: list) -> list[dict]:
    out = []
    for message in messages:
        if isinstance(message, bytes):
            size = struct.unpack("<I", message[:4])[0]
            header = json.loads(message[4 : 4 + size])
            assert message[4 + size : 4 + size + 2] == b"\xff\xd8"  # a JPEG follows
            out.append(header)
    return out


def test_the_page_and_the_faces_are_served(server):
    page = urllib.request.urlopen(f"{server.url}/", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html") and b"lipsync: live" in page.read()
    assert json.loads(urllib.request.urlopen(f"{server.url}/faces", timeout=10).read()) == [server.face]
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(f"{server.url}/secrets", timeout=10)


def test_a_stream_returns_frames_with_their_latency(server):
    from websockets.sync.client import connect

    pcm = (speech_like(1.2, (0.3, 0.9)) * 32767).astype("<i2")
    with connect(server.url.replace("http", "ws") + "/stream") as ws:
        ws.send(json.dumps({"type": "start", "face": server.face}))
        ready = json.loads(ws.recv(timeout=60))
        assert ready["type"] == "ready" and ready["algorithmic_delay_ms"] == 212.5 and "step 7" in ready["model"]
        messages = []
        for start in range(0, len(pcm), 640):  # 40 ms chunks, as fast as they go
            ws.send(pcm[start : start + 640].tobytes())
        ws.send(json.dumps({"type": "end"}))
        while True:
            message = ws.recv(timeout=60)
            messages.append(message)
            if isinstance(message, str) and json.loads(message)["type"] == "done":
                break
    frames = frames_of(messages)
    assert [f["index"] for f in frames] == list(range(30)) and all(f["latency_ms"] >= 0 for f in frames)
    assert json.loads(messages[-1])["frames"] == 30


def test_malformed_and_oversized_messages_are_refused_without_dying(server):
    from websockets.exceptions import ConnectionClosedError
    from websockets.sync.client import connect

    url = server.url.replace("http", "ws") + "/stream"
    with connect(url) as ws:
        for message, reason in [
            ("not json", "expected JSON"),
            (json.dumps({"type": "dance"}), "unknown message type"),
            (b"\x00\x00", "audio before start"),
            (json.dumps({"type": "start", "face": "../../etc/passwd"}), "unknown face"),
            (json.dumps({"type": "end"}), "no stream"),
        ]:
            ws.send(message)
            answer = json.loads(ws.recv(timeout=30))
            assert answer["type"] == "error" and reason in answer["reason"], (message, answer)
        ws.send(json.dumps({"type": "start", "face": server.face}))
        assert json.loads(ws.recv(timeout=60))["type"] == "ready"
        ws.send(b"\x00" * 3)
        assert "even count" in json.loads(ws.recv(timeout=30))["reason"]
        ws.send(b"\x00" * 2 * 16000)  # one second: over the 200 ms limit
        assert "the limit is 3200" in json.loads(ws.recv(timeout=30))["reason"]
    with connect(url) as ws:  # over 1 MiB: that connection is closed, the server lives on
        ws.send(b"\x00" * (2 << 20))
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=30)
    with connect(url) as ws:
        ws.send(json.dumps({"type": "start", "face": server.face}))
        assert json.loads(ws.recv(timeout=60))["type"] == "ready"


def test_the_server_listens_on_loopback_by_default(server):
    from tests.builders import loaded_params

    assert loaded_params().inference.serve.host == "127.0.0.1"  # the default the command binds
    assert "lipsync serve: http://127.0.0.1:" in server.log.read_text()
