// The playground: one page served at GET /, written here in plain HTML, CSS
// and JavaScript, with no external assets (it must work offline, and the
// binary is the only thing deployed).
//
// It asks the server what it serves (GET /v1/model) and shows a panel for
// each capability:
// - a classifier of images (input width 64 = chapter 1/2/5's 8×8 digits with
//   grey levels 0–16, or 784 = 28×28 MNIST with 0–255): a canvas to draw on
//   with the mouse or a finger; each stroke is turned into the model's input
//   the way its data was made (crop to the ink's bounding box, fit it into
//   the grid with a margin keeping the aspect ratio, average each cell's ink)
//   and sent to POST /v1/predict; the probabilities come back as ten bars;
// - a text generator: a prompt, temperature and length, sent to POST
//   /v1/generate with "stream": true; the server-sent events are read from
//   the response body as they arrive (EventSource cannot POST), so the text
//   appears token by token.
//
// `/?selftest[=PROMPT]` runs both panels on their own — a drawn "0" and the
// prompt — and writes what came back into the DOM (data-state="done" on
// #selftest), which a headless browser's --dump-dom can read: the browser
// test (Tests/09-model-as-a-service/PlaygroundBrowserTests.swift) uses it.

/// The HTML of the playground page.
public enum PlaygroundPage {
    public static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backprop playground</title>
<style>
  :root { --ink: #1d2433; --muted: #6b7385; --accent: #3559c7; --bar: #8aa2e6; --bg: #f6f7fb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
  header { padding: 18px 24px; background: white; border-bottom: 1px solid #e3e6ef; }
  header h1 { margin: 0; font-size: 20px; }
  header p { margin: 2px 0 0; color: var(--muted); }
  main { display: flex; flex-wrap: wrap; gap: 20px; padding: 20px 24px; }
  section { background: white; border: 1px solid #e3e6ef; border-radius: 10px; padding: 16px 18px; flex: 1 1 380px; }
  section h2 { margin: 0 0 10px; font-size: 16px; }
  .row { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
  canvas#pad { border: 1px solid #c9cfdd; border-radius: 6px; background: white; touch-action: none; cursor: crosshair; }
  canvas#grid { border: 1px solid #e3e6ef; image-rendering: pixelated; }
  .bars { display: grid; grid-template-columns: 16px 1fr 48px; gap: 3px 8px; align-items: center; min-width: 200px; flex: 1; }
  .bar { height: 14px; background: var(--bar); border-radius: 3px; width: 0; transition: width .15s; }
  .bar.top { background: var(--accent); }
  .num { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 13px; text-align: right; }
  button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid #c9cfdd; background: white; cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: white; }
  textarea { width: 100%; font: 14px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; padding: 8px; border-radius: 6px; border: 1px solid #c9cfdd; }
  pre#generated { white-space: pre-wrap; font: 14px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; background: #fbfbfd;
                  border: 1px solid #e3e6ef; border-radius: 6px; padding: 10px; min-height: 120px; margin: 10px 0 0; }
  pre#generated .prompt { color: var(--muted); }
  label { color: var(--muted); font-size: 13px; }
  input[type=number] { width: 70px; font: inherit; }
  .status { color: var(--muted); font-size: 13px; min-height: 20px; }
  .error { color: #b3261e; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>Backprop playground</h1>
  <p id="model">Asking the server what it serves…</p>
</header>
<main>
  <section id="classify" hidden>
    <h2>Draw a digit</h2>
    <div class="row">
      <div>
        <canvas id="pad" width="280" height="280" aria-label="drawing pad"></canvas>
        <div class="row" style="margin-top: 8px; gap: 8px; align-items: center">
          <button id="clear">Clear</button>
          <span class="status">the model sees:</span>
          <canvas id="grid" width="56" height="56" aria-label="the model's input"></canvas>
        </div>
      </div>
      <div class="bars" id="bars"></div>
    </div>
    <p class="status" id="classify-status">Draw with the mouse (or a finger); the prediction follows each stroke.</p>
  </section>
  <section id="generate" hidden>
    <h2>Continue a text</h2>
    <textarea id="prompt" rows="3">ROMEO:</textarea>
    <div class="row" style="margin-top: 8px; align-items: center">
      <button class="primary" id="go">Generate</button>
      <button id="stop" disabled>Stop</button>
      <label>tokens <input type="number" id="tokens" value="200" min="1" max="2000"></label>
      <label>temperature <input type="number" id="temperature" value="0.8" min="0" max="2" step="0.1"></label>
      <label>seed <input type="number" id="seed" value="1" min="0"></label>
    </div>
    <pre id="generated"></pre>
    <p class="status" id="generate-status"></p>
  </section>
</main>
<output id="selftest" hidden></output>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let info = null, side = 8, maxLevel = 16;

async function start() {
  try {
    const response = await fetch("/v1/model");
    info = await response.json();
  } catch (e) {
    $("model").textContent = "Could not reach the server: " + e;
    $("model").classList.add("error");
    return;
  }
  const routes = info.routes || [];
  const describe = (m) => (m.kind || "a model") + (m.parameters ? " (" + Number(m.parameters).toLocaleString("en") + " parameters)" : "");
  $("model").textContent = "Serving " + describe(info) + (info.generator ? " and " + describe(info.generator) : "") + ".";
  if (routes.includes("/v1/predict")) setUpClassifier();
  if (routes.includes("/v1/generate") || info.generator) setUpGenerator();
  if (new URLSearchParams(location.search).has("selftest")) selfTest();
}

// ---- drawing and classifying ----
function setUpClassifier() {
  const width = info.input_width;
  side = Math.round(Math.sqrt(width));
  if (side * side !== width) {
    $("classify-status").textContent = "This classifier takes " + width + " numbers, not a square image: use POST /v1/predict.";
    $("classify").hidden = false;
    return;
  }
  maxLevel = side === 8 ? 16 : 255;  // the digits' grey levels are 0–16, MNIST's 0–255
  $("classify").hidden = false;
  const bars = $("bars");
  for (let k = 0; k < 10; k++) {
    bars.insertAdjacentHTML("beforeend", '<span>' + k + '</span><div><div class="bar" id="bar' + k + '"></div></div><span class="num" id="p' + k + '"></span>');
  }
  const pad = $("pad"), g = pad.getContext("2d");
  clearPad();
  let drawing = false, last = null;
  const point = (e) => { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; };
  pad.addEventListener("pointerdown", (e) => { drawing = true; last = point(e); stroke(last, last); pad.setPointerCapture(e.pointerId); });
  pad.addEventListener("pointermove", (e) => { if (!drawing) return; const p = point(e); stroke(last, p); last = p; });
  const end = () => { if (drawing) { drawing = false; classify(); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", () => { clearPad(); showProbabilities(null); });
}

function clearPad() {
  const g = $("pad").getContext("2d");
  g.fillStyle = "white"; g.fillRect(0, 0, 280, 280);
  $("grid").getContext("2d").clearRect(0, 0, 56, 56);
}

function stroke(a, b) {
  const g = $("pad").getContext("2d");
  g.strokeStyle = "black"; g.lineWidth = 24; g.lineCap = "round"; g.lineJoin = "round";
  g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke();
}

// The pad's ink as the model's input: crop to the bounding box, fit it into
// the grid (a margin of one cell in 8, 4 cells in 28, as the datasets have),
// keeping the aspect ratio, and average the ink of each cell.
function padToInput() {
  const size = 280, pixels = $("pad").getContext("2d").getImageData(0, 0, size, size).data;
  const ink = new Float32Array(size * size);
  let x0 = size, y0 = size, x1 = -1, y1 = -1;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const v = 1 - pixels[4 * (y * size + x)] / 255;
    ink[y * size + x] = v;
    if (v > 0.1) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  const input = new Array(side * side).fill(0);
  if (x1 < 0) return input;
  // the digits fill their 8×8 box; MNIST's digits fit a 20×20 box in 28×28
  const margin = side === 8 ? 0 : 4, box = side - 2 * margin;
  const w = x1 - x0 + 1, h = y1 - y0 + 1, scale = box / Math.max(w, h);
  const offX = margin + (box - w * scale) / 2, offY = margin + (box - h * scale) / 2;
  const coverage = new Float32Array(side * side), area = new Float32Array(side * side);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    const gx = Math.min(side - 1, Math.floor(offX + (x - x0 + 0.5) * scale));
    const gy = Math.min(side - 1, Math.floor(offY + (y - y0 + 0.5) * scale));
    coverage[gy * side + gx] += ink[y * size + x];
    area[gy * side + gx] += 1;
  }
  // pad pixels per grid cell; a cell half covered by a pen stroke counts as
  // full ink (the datasets' strokes are about two cells of eight wide, a
  // pen stroke on the pad about one)
  const perCell = 1 / (scale * scale);
  for (let i = 0; i < side * side; i++) input[i] = Math.round(maxLevel * Math.min(1, 2 * coverage[i] / perCell));
  return input;
}

function showInput(input) {
  const grid = $("grid"), g = grid.getContext("2d"), cell = 56 / side;
  for (let i = 0; i < input.length; i++) {
    const v = 255 - Math.round(255 * input[i] / maxLevel);
    g.fillStyle = "rgb(" + v + "," + v + "," + v + ")";
    g.fillRect((i % side) * cell, Math.floor(i / side) * cell, cell, cell);
  }
}

async function classify() {
  const input = padToInput();
  showInput(input);
  try {
    const response = await fetch("/v1/predict", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify({ inputs: [input] }) });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.status);
    const out = body.outputs[0];
    showProbabilities(out.probabilities);
    $("classify-status").textContent = "The model says " + (out.label ?? out.class) + ".";
    return out;
  } catch (e) {
    $("classify-status").textContent = "Prediction failed: " + e.message;
    $("classify-status").classList.add("error");
    return null;
  }
}

function showProbabilities(p) {
  const top = p ? p.indexOf(Math.max(...p)) : -1;
  for (let k = 0; k < 10; k++) {
    const bar = $("bar" + k);
    if (!bar) continue;
    const v = p && k < p.length ? p[k] : 0;
    bar.style.width = (100 * v).toFixed(1) + "%";
    bar.classList.toggle("top", k === top);
    $("p" + k).textContent = p ? (100 * v).toFixed(1) + "%" : "";
  }
}

// ---- streaming text ----
let controller = null;

function setUpGenerator() {
  $("generate").hidden = false;
  $("go").addEventListener("click", () => generate());
  $("stop").addEventListener("click", () => { if (controller) controller.abort(); });
}

async function generate() {
  const out = $("generated"), prompt = $("prompt").value;
  out.innerHTML = "";
  const shown = document.createElement("span"); shown.className = "prompt"; shown.textContent = prompt;
  const text = document.createTextNode("");
  out.append(shown, text);
  $("generate-status").textContent = "";
  $("generate-status").classList.remove("error");
  controller = new AbortController();
  $("go").disabled = true; $("stop").disabled = false;
  const started = performance.now();
  let tokens = 0, firstAt = null;
  try {
    const response = await fetch("/v1/generate", {
      method: "POST", headers: { "Content-Type": "application/json" }, signal: controller.signal,
      body: JSON.stringify({ prompt, stream: true, max_tokens: Number($("tokens").value),
                             temperature: Number($("temperature").value), seed: Number($("seed").value) }) });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error || ("HTTP " + response.status));
    }
    const reader = response.body.getReader(), decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {   // one server-sent event per blank line
        const event = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        let name = "message", data = "";
        for (const line of event.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (!data) continue;
        const payload = JSON.parse(data);
        if (name === "error") throw new Error(payload.error);
        if (name === "done") continue;
        if (firstAt === null) firstAt = performance.now();
        tokens += 1;
        text.appendData(payload.token);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    $("generate-status").textContent = tokens + " tokens in " + seconds.toFixed(2) + " s; first after " +
      ((firstAt ?? performance.now()) - started).toFixed(0) + " ms.";
    return text.data;
  } catch (e) {
    if (e.name === "AbortError") { $("generate-status").textContent = "Stopped after " + tokens + " tokens."; return text.data; }
    $("generate-status").textContent = "Generation failed: " + e.message;
    $("generate-status").classList.add("error");
    return null;
  } finally {
    $("go").disabled = false; $("stop").disabled = true; controller = null;
  }
}

// ---- the self-test a headless browser runs (/?selftest) ----
// It draws a "0" (an ellipse of short strokes), classifies it and reports
// the input it sent and the class shown; then continues the prompt given
// as ?selftest=PROMPT (default "ROMEO:") for 40 tokens with seed 7 and
// reports the streamed text.
async function selfTest() {
  const report = $("selftest"), prompt = new URLSearchParams(location.search).get("selftest") || "ROMEO:";
  report.dataset.state = "running";
  if (!$("classify").hidden && $("bars").children.length) {
    let last = null;
    for (let i = 0; i <= 48; i++) {
      const t = 2 * Math.PI * i / 48, p = [140 + 62 * Math.sin(t), 140 - 92 * Math.cos(t)];
      stroke(last ?? p, p); last = p;
    }
    const out = await classify();
    report.dataset.input = JSON.stringify(padToInput());
    report.dataset.predicted = out ? String(out.class) : "error";
    const shown = [...document.querySelectorAll(".bar.top")].map((b) => b.id.slice(3));
    report.dataset.topBar = shown.join(",");
  }
  if (!$("generate").hidden) {
    $("prompt").value = prompt; $("tokens").value = "40"; $("seed").value = "7";
    const text = await generate();
    report.dataset.generated = text === null ? "error" : String(text.length);
    report.textContent = text ?? "";
  }
  report.dataset.state = "done";
}

start();
</script>
</body>
</html>
"""#
}
