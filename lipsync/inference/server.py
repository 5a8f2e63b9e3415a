"""``lipsync serve``: lip sync over a WebSocket, and a small page to try it (loopback by default).

HTTP ``GET /`` is the page, ``GET /faces`` the faces it offers (JSON); ``/stream`` is the
WebSocket. Protocol, one stream per connection:

- text ``{"type": "start", "face": NAME}`` -> ``{"type": "ready", "width", "height", "fps",
  "sample_rate", "model", "algorithmic_delay_ms"}`` (the face is prepared once and cached);
- binary: 16-bit little-endian mono PCM at 16 kHz, at most ``serve.max_chunk_ms`` per message
  -> one binary message per frame made: a 4-byte little-endian header length, a JSON header
  ``{"index", "silent", "latency_ms"}``, then the JPEG frame;
- text ``{"type": "end"}`` -> the last frames, then ``{"type": "done", "frames", "latency_ms"}``.

Anything else (not JSON, an unknown type, audio before ``start``, an odd byte count, a chunk
over the limit, an unknown face) gets ``{"type": "error", "reason"}`` and the connection stays
open; a message over 1 MiB closes that connection (code 1009). The server itself never stops
for a client's mistake. One stream runs at a time (2 cores); another gets a "busy" error.
Processing latency is measured here, from the arrival of the chunk holding a frame's last
needed sample to the frame being made (JPEG encoding excluded).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as websocket_serve

from lipsync.inference.job import InferenceConfig
from lipsync.inference.serve_page import PAGE
from lipsync.inference.server_session import ClientError, Session

MAX_MESSAGE_BYTES = 1 << 20


class StreamServer:
    """Faces by name (prepared on first use), one model, one stream at a time."""

    def __init__(self, config: InferenceConfig, faces: list[Path], model: str | None, face_index: int | None) -> None:
        from lipsync.inference.generation import LowerFace
        from lipsync.inference.model_source import load_generator

        self.config, self.face_index = config, face_index
        self.faces = {path.name: Path(path) for path in faces}
        self.loaded = load_generator(model, config.generator, config.mlruns, config.generator_result)
        self.lower = LowerFace(self.loaded.model)
        self.prepared: dict = {}
        self.busy = asyncio.Lock()

    def http(self, connection: ServerConnection, request):
        """The page and the face list; None lets ``/stream`` go on to the WebSocket handshake."""
        if request.path == "/stream":
            return None
        if request.path in ("/", "/index.html"):
            return _response(connection, PAGE, "text/html; charset=utf-8")
        if request.path == "/faces":
            return _response(connection, json.dumps(sorted(self.faces)), "application/json")
        return connection.respond(404, "not found\n")

    async def handle(self, connection: ServerConnection) -> None:
        session = None
        try:
            async for message in connection:
                try:
                    if isinstance(message, str):
                        session = await self._text(connection, session, message)
                    else:
                        await self._audio(connection, session, message)
                except ClientError as error:
                    await connection.send(json.dumps({"type": "error", "reason": str(error)}))
        finally:
            if session is not None:
                session.close()

    async def _text(self, connection, session, message: str):
        arrival = time.perf_counter()
        limit = self.config.settings.serve.max_text_bytes
        if len(message) > limit:
            raise ClientError(f"text message of {len(message)} bytes; the limit is {limit}")
        try:
            request = json.loads(message)
            kind = request["type"]
        except (ValueError, TypeError, KeyError):
            raise ClientError('expected JSON like {"type": "start", "face": NAME} or {"type": "end"}') from None
        if kind == "start":
            if session is not None:
                session.close()
            return await self._start(connection, request.get("face"))
        if kind != "end":
            raise ClientError(f"unknown message type {kind!r}")
        if session is None:
            raise ClientError("no stream: send start first")
        frames = await asyncio.to_thread(session.stream.finish)
        await self._send(connection, session, frames, arrival)
        await connection.send(json.dumps({"type": "done", "frames": session.sent, "latency_ms": session.summary()}))
        session.close()
        return None

    async def _start(self, connection, name):
        from lipsync.inference.realtime import algorithmic_delay
        from lipsync.inference.streaming import LipSyncStream

        if not isinstance(name, str) or name not in self.faces:
            raise ClientError(f"unknown face {name!r}; faces: {', '.join(sorted(self.faces))}")
        if self.busy.locked():
            raise ClientError("busy: another stream is running; try again when it ends")
        await self.busy.acquire()
        try:
            face = await self._prepared(name)
            session = Session(LipSyncStream(face, self.lower, self.config), self.busy)
            height, width = face.frames.shape[1:3]
            await connection.send(json.dumps({
                "type": "ready", "width": width, "height": height, "fps": self.config.fps,
                "sample_rate": self.config.mel.sample_rate, "model": self.loaded.identity,
                "algorithmic_delay_ms": round(algorithmic_delay(session.stream) * 1000, 1),
            }))  # fmt: skip
        except BaseException:
            self.busy.release()
            raise
        return session

    async def _prepared(self, name: str):
        from lipsync.inference.streaming import prepare_face

        if name not in self.prepared:
            c = self.config
            try:
                self.prepared[name] = await asyncio.to_thread(
                    prepare_face, self.faces[name], c.faces, c.fps, c.settings, self.face_index
                )
            except ValueError as error:  # no face, unreadable file: the message names it
                raise ClientError(str(error)) from None
        return self.prepared[name]

    async def _audio(self, connection, session, message: bytes) -> None:
        if session is None:
            raise ClientError('audio before start: send {"type": "start", "face": NAME} first')
        if len(message) % 2:
            raise ClientError(f"audio message of {len(message)} bytes: 16-bit PCM needs an even count")
        limit = self.config.mel.sample_rate * self.config.settings.serve.max_chunk_ms // 1000
        if len(message) // 2 > limit:
            ms = self.config.settings.serve.max_chunk_ms
            raise ClientError(f"audio chunk of {len(message) // 2} samples; the limit is {limit} ({ms} ms)")
        arrival = time.perf_counter()
        audio = np.frombuffer(message, dtype="<i2").astype(np.float32) / 32768.0
        session.received += len(audio)
        session.arrivals.append((session.received, arrival))
        frames = await asyncio.to_thread(session.stream.push, audio)
        await self._send(connection, session, frames, None)

    async def _send(self, connection, session, frames, end_arrival) -> None:
        """One binary message per frame; latency from its audio's arrival (or the end's, ``end_arrival``)."""
        quality = self.config.settings.stream.jpeg_quality
        for frame in frames:
            arrived = end_arrival if end_arrival is not None else session.arrival_of(frame.needed)
            await connection.send(session.frame_message(frame, frame.made_at - arrived, quality))


def _response(connection: ServerConnection, body: str, content_type: str):
    response = connection.respond(200, body)
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = content_type
    return response


def serve(config: InferenceConfig, faces: list[Path], model: str | None, host: str, port: int, face_index=None) -> None:
    """Serve until interrupted (Ctrl-C). Prints the page's address once listening."""
    missing = [str(path) for path in faces if not Path(path).is_file()]
    if missing:
        raise ValueError(f"faces not found: {', '.join(missing)}")

    async def main() -> None:
        server = StreamServer(config, list(faces), model, face_index)
        async with websocket_serve(
            server.handle, host, port, process_request=server.http, max_size=MAX_MESSAGE_BYTES
        ) as running:
            bound = running.sockets[0].getsockname()
            print(
                f"lipsync serve: http://{bound[0]}:{bound[1]}/ (model {server.loaded.identity}; Ctrl-C stops)",
                flush=True,
            )
            await running.serve_forever()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
