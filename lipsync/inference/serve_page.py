"""The page ``lipsync serve`` shows at ``/``: pick a face and a speech file, watch the lip-synced
frames arrive with their processing latency. Plain HTML and JavaScript, nothing fetched from
elsewhere. The browser decodes the speech file and resamples it to 16 kHz (Web Audio), sends
40 ms of 16-bit PCM at a time at real-time pace, and plays the file itself delayed by the
stream's algorithmic delay, so sound and frames line up."""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lipsync: live</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
  .controls { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin-bottom: 1rem; }
  #frame { max-width: 640px; max-height: 480px; background: #eee; min-width: 320px; min-height: 240px; }
  table { border-collapse: collapse; margin-top: 1rem; }
  td { padding: 0.2rem 0.8rem; border-bottom: 1px solid #ddd; }
  #status { font-weight: 600; }
</style>
</head>
<body>
<h1>lipsync: live</h1>
<div class="controls">
  <label>Face <select id="face"></select></label>
  <label>Speech file <input id="speech" type="file" accept="audio/*,video/*"></label>
  <button id="start">Start</button>
  <span id="status">pick a speech file</span>
</div>
<img id="frame" alt="lip-synced frames appear here">
<table>
  <tr><td>model</td><td id="model">-</td></tr>
  <tr><td>frames received</td><td id="frames">0</td></tr>
  <tr><td>frames/s (received)</td><td id="fps">-</td></tr>
  <tr><td>processing latency, last frame</td><td id="latency">-</td></tr>
  <tr><td>processing latency p50 / p95</td><td id="percentiles">-</td></tr>
  <tr><td>algorithmic delay (the window's look-ahead)</td><td id="delay">-</td></tr>
</table>
<script>
const $ = (id) => document.getElementById(id);
const CHUNK_MS = 40;
let received = 0, firstAt = 0, latencies = [], lastUrl = null;

fetch("/faces").then((r) => r.json()).then((faces) => {
  for (const name of faces) $("face").add(new Option(name, name));
});

async function speechPcm(file) {
  const bytes = await file.arrayBuffer();
  const decoded = await new OfflineAudioContext(1, 16000, 16000).decodeAudioData(bytes);
  const mono = new Float32Array(decoded.length);
  for (let c = 0; c < decoded.numberOfChannels; c++) {
    const channel = decoded.getChannelData(c);
    for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / decoded.numberOfChannels;
  }
  const pcm = new Int16Array(mono.length);
  for (let i = 0; i < mono.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(mono[i] * 32767)));
  return pcm;
}

function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function showFrame(data) {
  const view = new DataView(data);
  const size = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, size)));
  const url = URL.createObjectURL(new Blob([new Uint8Array(data, 4 + size)], { type: "image/jpeg" }));
  $("frame").src = url;
  if (lastUrl) URL.revokeObjectURL(lastUrl);
  lastUrl = url;
  received += 1;
  if (received === 1) firstAt = performance.now();
  latencies.push(header.latency_ms);
  $("frames").textContent = received;
  const seconds = (performance.now() - firstAt) / 1000;
  if (seconds > 0) $("fps").textContent = ((received - 1) / seconds).toFixed(1);
  $("latency").textContent = header.latency_ms.toFixed(1) + " ms";
  const p50 = percentile(latencies, 0.5), p95 = percentile(latencies, 0.95);
  $("percentiles").textContent = p50.toFixed(1) + " / " + p95.toFixed(1) + " ms";
}

$("start").onclick = async () => {
  const file = $("speech").files[0];
  if (!file) { $("status").textContent = "pick a speech file first"; return; }
  $("status").textContent = "decoding the speech file";
  const pcm = await speechPcm(file);
  received = 0; latencies = [];
  const ws = new WebSocket(`ws://${location.host}/stream`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify({ type: "start", face: $("face").value }));
  ws.onerror = () => { $("status").textContent = "connection error"; };
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") { showFrame(event.data); return; }
    const message = JSON.parse(event.data);
    if (message.type === "error") { $("status").textContent = "error: " + message.reason; return; }
    if (message.type === "done") { $("status").textContent = `done: ${message.frames} frames`; ws.close(); return; }
    if (message.type !== "ready") return;
    $("model").textContent = message.model;
    $("delay").textContent = message.algorithmic_delay_ms.toFixed(1) + " ms";
    $("status").textContent = "streaming";
    const player = new Audio(URL.createObjectURL(file));
    setTimeout(() => player.play().catch(() => {}), message.algorithmic_delay_ms);
    const step = Math.round(16000 * CHUNK_MS / 1000), chunks = Math.ceil(pcm.length / step);
    const started = performance.now();
    let sent = 0;
    const tick = () => {
      while (sent < chunks && sent * CHUNK_MS <= performance.now() - started) {
        ws.send(pcm.slice(sent * step, (sent + 1) * step).buffer);
        sent += 1;
      }
      if (sent < chunks) setTimeout(tick, 5);
      else ws.send(JSON.stringify({ type: "end" }));
    };
    tick();
  };
};
</script>
</body>
</html>
"""
