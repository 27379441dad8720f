// The editor with big flows, measured in a real browser: journeys of 300 and 1,000 steps
// (web/bench/journey.mjs; and 10, the rig's own floor) are created through the API, then
// opened in Chromium at 1280×800 and panned, zoomed and dragged while the page records the
// time between animation frames. A measurement, not a test: it prints Markdown tables, and
// fails only if something breaks (or the page logs an error or warning).
//
//   cd web && node bench/canvas.mjs [--runs 3] [--sizes 10,300,1000] [--profile] [--trace]
//
// It runs target/debug/spool (or $SPOOL_BINARY) with the editor it embeds, or the one in
// $SPOOL_EDITOR_DIR. What the numbers mean:
// - open: from navigation start to the first animation frame with a step visible on the
//   canvas (loading the editor, the draft and the catalog, dagre's layout, React Flow's
//   first render and measuring). The flows have no positions, as when imported, so the
//   editor lays them out on opening and saves that; "reopen" is the same flow with them.
// - pan, zoom, drag: the time between consecutive animation frames (requestAnimationFrame)
//   while the mouse drags the empty canvas, turns the wheel, or drags one step, about 2 s
//   each, at the zoom the editor opened at. 16.7 ms is one frame at 60 Hz. "inputs" is the
//   mouse moves or wheel notches the page took in that time (each is sent when the page
//   has taken the previous one). "main thread busy" is Chrome's TaskDuration (CDP
//   Performance metrics) over the same time, with its script, layout and style parts.
// - click: Event Timing's duration of a click on a step (input to the next paint; "under
//   16 ms" when no part of it took 16 ms), and the time from its pointerdown to the frame
//   in which the step's settings are in the side panel; medians over 5 steps.
//
// --trace adds the compositor's frames (Chrome tracing: presented or dropped) and prints
// where the page's main thread spent its time in each phase, at some cost to the page; --profile writes CPU profiles of the first run's pan and of three
// more clicks to web/e2e-artifacts/ and prints the functions with the most self time.

import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  artifacts,
  newPage,
  openBrowser,
  screenshot,
  signIn,
  startSpool,
} from "../e2e/harness.mjs";
import { journey } from "./journey.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const RUNS = Number(option("runs", "1"));
const SIZES = option("sizes", "10,300,1000").split(",").map(Number);
const PROFILE = args.includes("--profile");
const TRACE = args.includes("--trace");
const PHASE_MS = 2000;
const FRAME_MS = 1000 / 60;

// Installed in the page before its scripts: a frame recorder, the first frame with a
// visible step, and pointerdown timestamps for the click latency.
function instrument() {
  const bench = {
    firstStep: undefined,
    frames: null,
    lastPointerDown: undefined,
    start() {
      const deltas = [];
      let last;
      this.frames = deltas;
      const tick = (t) => {
        if (this.frames !== deltas) return;
        if (last !== undefined) deltas.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    },
    stop() {
      const deltas = this.frames;
      this.frames = null;
      return deltas;
    },
    /** Resolves with the first frame's time at which `check()` holds (fails after 30 s). */
    when(check, what) {
      return new Promise((resolve, reject) => {
        const until = performance.now() + 30_000;
        const tick = (t) => {
          if (check()) resolve(t);
          else if (t > until) reject(new Error(`never saw ${what}`));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
    },
  };
  // Event Timing: how long from an input to the next paint after its handlers ran (entries
  // of 16 ms or more only; the browser's own granularity is 8 ms).
  bench.events = [];
  new PerformanceObserver((list) => bench.events.push(...list.getEntries())).observe({
    type: "event",
    durationThreshold: 16,
  });
  window.spoolBench = bench;
  window.addEventListener("pointerdown", (e) => (bench.lastPointerDown = e.timeStamp), true);
  const seen = (t) => {
    const step = document.querySelector(".react-flow__node-flow");
    if (step && getComputedStyle(step).visibility === "visible") bench.firstStep = t;
    else requestAnimationFrame(seen);
  };
  requestAnimationFrame(seen);
}

function stats(deltas) {
  const sorted = deltas.toSorted((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    frames: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted.at(-1),
    slow: sorted.filter((d) => d > FRAME_MS + 0.5).length,
  };
}

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).toSorted((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function mainThread(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const value = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
  return {
    task: value("TaskDuration"),
    script: value("ScriptDuration"),
    layout: value("LayoutDuration"),
    style: value("RecalcStyleDuration"),
  };
}

/** Runs `act` while recording frames and Chrome's main-thread time. */
async function measure(page, cdp, act) {
  const browser = page.context().browser();
  if (TRACE) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  const before = await mainThread(cdp);
  const started = Date.now();
  await page.evaluate(() => window.spoolBench.start());
  const inputs = await act();
  const deltas = await page.evaluate(() => window.spoolBench.stop());
  const wall = Date.now() - started;
  const after = await mainThread(cdp);
  const busy = (key) => ((after[key] - before[key]) * 1000) / wall;
  return {
    ...stats(deltas),
    inputs,
    busy: busy("task"),
    script: busy("script"),
    layout: busy("layout"),
    style: busy("style"),
    ...(TRACE ? await traced(browser) : {}),
  };
}

async function traced(browser) {
  const trace = JSON.parse((await browser.stopTracing()).toString());
  console.error(`    main thread: ${mainThreadEvents(trace)}`);
  return compositorFrames(trace);
}

/** The page's main-thread trace events with the most time (inclusive: they nest). */
function mainThreadEvents(trace) {
  const main = trace.traceEvents.find((e) => e.name === "FireAnimationFrame");
  const time = new Map();
  for (const e of trace.traceEvents) {
    if (e.pid !== main?.pid || e.tid !== main?.tid || e.ph !== "X" || !e.dur) continue;
    const [total, count] = time.get(e.name) ?? [0, 0];
    time.set(e.name, [total + e.dur / 1000, count + 1]);
  }
  return [...time]
    .toSorted((x, y) => y[1][0] - x[1][0])
    .slice(0, 10)
    .map(([name, [total, count]]) => `${name} ${Math.round(total)} ms (×${count})`)
    .join(", ");
}

const TRACE_CATEGORIES = ["disabled-by-default-devtools.timeline.frame", "devtools.timeline"];

/**
 * The page's compositor frames by what became of them (Chrome's PipelineReporter, as in
 * DevTools' Frames track): presented (wholly or partly) or dropped.
 */
function compositorFrames(trace) {
  const page = trace.traceEvents.find((e) => e.name === "FireAnimationFrame")?.pid;
  const states = {};
  for (const e of trace.traceEvents) {
    if (e.name !== "PipelineReporter" || e.ph !== "b" || e.pid !== page) continue;
    const state = e.args?.frame_reporter?.state ?? e.args?.chrome_frame_reporter?.state;
    states[state] = (states[state] ?? 0) + 1;
  }
  const presented = (states.STATE_PRESENTED_ALL ?? 0) + (states.STATE_PRESENTED_PARTIAL ?? 0);
  return { presented, dropped: states.STATE_DROPPED ?? 0 };
}

/** A point of the empty canvas (where a drag pans), nearest the canvas's centre. */
async function emptyPoint(page) {
  return page.evaluate(() => {
    const box = document.querySelector(".react-flow").getBoundingClientRect();
    const centre = { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    let best;
    for (let y = box.top + 40; y < box.bottom - 40; y += 20) {
      for (let x = box.left + 40; x < box.right - 260; x += 20) {
        if (!document.elementFromPoint(x, y)?.classList.contains("react-flow__pane")) continue;
        const d = Math.hypot(x - centre.x, y - centre.y);
        if (!best || d < best.d) best = { x, y, d };
      }
    }
    return best;
  });
}

/** Moves the mouse along `along(t)` (t in ms) for PHASE_MS; returns the moves sent. */
async function sweep(page, along) {
  const started = Date.now();
  let moves = 0;
  for (let t = 0; t < PHASE_MS; t = Date.now() - started) {
    const at = along(t);
    await page.mouse.move(at.x, at.y);
    moves++;
  }
  return moves;
}

async function pan(page, from) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  // Back and forth, 300 px to each side, once a second.
  const moves = await sweep(page, (t) => ({
    x: from.x + 300 * Math.sin((2 * Math.PI * t) / 1000),
    y: from.y + 80 * Math.sin((2 * Math.PI * t) / 500),
  }));
  await page.mouse.move(from.x, from.y);
  await page.mouse.up();
  return moves;
}

async function zoom(page) {
  const box = await page.locator(".react-flow").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  // Eight notches in, eight out (about ×3 and back), as fast as the page takes them.
  const started = Date.now();
  let notches = 0;
  while (Date.now() - started < PHASE_MS) {
    await page.mouse.wheel(0, notches % 16 < 8 ? -100 : 100);
    notches++;
  }
  // Back where it started, so the drag below sees the same view.
  while (notches % 16 !== 0) {
    await page.mouse.wheel(0, notches % 16 < 8 ? -100 : 100);
    notches++;
  }
  return notches;
}

/** Steps wholly on screen, nearest the canvas's centre first. */
async function visibleSteps(page) {
  return page.evaluate(() => {
    const box = document.querySelector(".react-flow").getBoundingClientRect();
    const centre = { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    return (
      [...document.querySelectorAll(".react-flow__node-flow")]
        .map((el) => ({ id: el.dataset.id, r: el.getBoundingClientRect() }))
        .filter(
          ({ r }) =>
            r.width > 0 &&
            r.left > box.left + 10 &&
            r.right < box.right - 220 && // clear of the minimap and controls
            r.top > box.top + 10 &&
            r.bottom < box.bottom - 10,
        )
        .map(({ id, r }) => ({
          id,
          x: r.left + r.width / 2,
          // The head, above the ports (whose handles start a wire, not a drag).
          y: r.top + Math.min(r.height / 2, (26 * r.width) / 200),
          // Its middle, for clicks.
          middle: { x: r.left + r.width / 2, y: r.top + r.height / 2 },
          d: Math.hypot(r.left + r.width / 2 - centre.x, r.top + r.height / 2 - centre.y),
        }))
        // Not under anything else (another step, a badge, a panel).
        .filter(({ id, x, y, middle }) =>
          [
            [x, y],
            [middle.x, middle.y],
          ].every(
            ([px, py]) =>
              document.elementFromPoint(px, py)?.closest(".react-flow__node")?.dataset.id === id,
          ),
        )
        .toSorted((a, b) => a.d - b.d)
    );
  });
}

async function dragStep(page, step) {
  await page.mouse.move(step.x, step.y);
  await page.mouse.down();
  // A small circle, as a hand looking for a place would move.
  const moves = await sweep(page, (t) => ({
    x: step.x + 120 * Math.sin((2 * Math.PI * t) / 1000),
    y: step.y + 60 - 60 * Math.cos((2 * Math.PI * t) / 1000),
  }));
  await page.mouse.move(step.x, step.y);
  await page.mouse.up();
  return moves;
}

/**
 * For clicks on `steps`, the medians of: the longest Event Timing entry of the click (from
 * the input to the next paint; 0 when every part took under 16 ms), and the time from the
 * pointerdown to the frame in which the step's settings are in the side panel.
 */
async function selectLatency(page, steps) {
  const paints = [];
  const settings = [];
  let missed = 0;
  for (const step of steps) {
    await page.evaluate(() => (window.spoolBench.events = []));
    const panel = page.evaluate(
      (id) =>
        window.spoolBench
          .when(
            () => document.querySelector(`[aria-label="Settings of ${id}"]`),
            `the settings of ${id}`,
          )
          .then(() => performance.now()),
      step.id,
    );
    await page.mouse.click(step.middle.x, step.middle.y);
    const atPanel = await panel.catch(() => undefined);
    if (atPanel === undefined) {
      // Counted and shown, not measured: a click the page never answered is a finding.
      missed++;
      await screenshot(page, `bench-missed-click-${step.id}`);
      continue;
    }
    await page
      .locator(`.react-flow__node[data-id="${step.id}"] .flow-node.selected`)
      .waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    const { down, events } = await page.evaluate(() => ({
      down: window.spoolBench.lastPointerDown,
      events: window.spoolBench.events.filter((e) => e.interactionId > 0).map((e) => e.duration),
    }));
    paints.push(Math.max(0, ...events));
    settings.push(atPanel - down);
  }
  return { paint: median(paints), settings: median(settings), missed };
}

async function csrf(page) {
  return (await (await page.request.get("/api/v1/session")).json()).csrf_token;
}

async function createFlow(page, document) {
  const headers = { "X-CSRF-Token": await csrf(page) };
  const created = await page.request.post("/api/v1/workspaces/default/flows", {
    headers,
    data: document,
  });
  if (created.status() !== 201)
    throw new Error(`create: ${created.status()} ${await created.text()}`);
  const checked = await page.request.post(
    `/api/v1/workspaces/default/flows/${document.id}/validate`,
    { headers, data: {} },
  );
  const verdict = await checked.json();
  return { errors: verdict.errors, warnings: verdict.warnings };
}

async function open(page, id) {
  await page.goto(`/flows/${id}`);
  await page.evaluate(() =>
    window.spoolBench.when(() => window.spoolBench.firstStep !== undefined, "a step"),
  );
  const opened = await page.evaluate(() => window.spoolBench.firstStep);
  // Interactions start once the first save (the laid-out positions) and the live
  // validation are done, and the page has been idle a moment.
  await page.locator('[data-status="saved"]').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
  const drawn = await page.evaluate(() => ({
    steps: document.querySelectorAll(".react-flow__node-flow").length,
    edges: document.querySelectorAll(".react-flow__edge").length,
    zoom: Number(
      /scale\(([\d.]+)\)/.exec(
        document.querySelector(".react-flow__viewport").style.transform,
      )?.[1],
    ),
  }));
  return { opened, ...drawn };
}

/** CPU profile of `act`: the functions with the most self time. */
async function profiled(cdp, name, act) {
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  await act();
  const { profile } = await cdp.send("Profiler.stop");
  writeFileSync(path.join(artifacts, `${name}.cpuprofile`), JSON.stringify(profile));
  const self = new Map();
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${path.basename(f.url || "")}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  const top = [...self].toSorted((a, b) => b[1] - a[1]).slice(0, 20);
  console.log(`\nCPU profile of ${name} (self time, ${total} samples of 0.2 ms):\n`);
  for (const [key, hits] of top)
    console.log(`  ${((100 * hits) / total).toFixed(1).padStart(5)} %  ${key}`);
}

async function run(spool, browser, size, index) {
  const page = await newPage(browser, spool.url);
  await page.addInitScript(instrument);
  await signIn(page, spool.email, spool.password);
  const id = `bench-${size}-run-${index}`;
  const diagnostics = await createFlow(page, journey(size, id));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");

  const first = await open(page, id);
  await screenshot(page, `bench-${size}-open`);
  const result = { size, diagnostics, open: first };
  const from = await emptyPoint(page);
  if (!from) throw new Error("no empty canvas to drag");
  if (PROFILE && index === 1) {
    await profiled(cdp, `bench-${size}-pan`, () => pan(page, from));
  }
  const say = (what) => console.error(`  ${size} steps, run ${index}: ${what}`);
  say(`opened in ${ms(first.opened)}, zoom ${first.zoom}, ${first.steps} steps in the DOM`);
  result.pan = await measure(page, cdp, () => pan(page, from));
  say(`pan p95 ${ms(result.pan.p95)}`);
  result.zoom = await measure(page, cdp, () => zoom(page));
  say(`zoom p95 ${ms(result.zoom.p95)}`);
  const steps = await visibleSteps(page);
  if (steps.length < 6) throw new Error(`only ${steps.length} steps wholly on screen`);
  result.drag = await measure(page, cdp, () => dragStep(page, steps[0]));
  say(`drag p95 ${ms(result.drag.p95)}`);
  await page.locator('[data-status="saved"]').waitFor({ timeout: 60_000 });
  // Found again: the dragged step lands where the last move the page took left it.
  const targets = (await visibleSteps(page)).filter((step) => step.id !== steps[0].id);
  result.select = await selectLatency(page, targets.slice(0, 5));
  if (PROFILE && index === 1) {
    await profiled(cdp, `bench-${size}-click`, () => selectLatency(page, targets.slice(0, 3)));
  }
  await screenshot(page, `bench-${size}-selected`);

  await page.reload();
  await page.evaluate(() =>
    window.spoolBench.when(() => window.spoolBench.firstStep !== undefined, "a step"),
  );
  result.reopen = await page.evaluate(() => window.spoolBench.firstStep);

  const problems = page.problems();
  if (problems.length) throw new Error(`the page reported problems:\n${problems.join("\n")}`);
  await page.context().close();
  return result;
}

const clickPaint = (v) => (v === 0 ? "under 16 ms" : ms(v));
const ms = (v) => (v === undefined || Number.isNaN(v) ? "–" : `${v.toFixed(1)} ms`);

function table(results) {
  const traced = results[0].pan.presented !== undefined;
  const lines = [
    `| steps | interaction | frames | p50 | p95 | max | frames > 16.7 ms | inputs | main thread busy (script / layout / style) |${traced ? " compositor frames presented / dropped |" : ""}`,
    `|---:|---|---:|---:|---:|---:|---:|---:|---|${traced ? "---|" : ""}`,
  ];
  const m = (key, pick) => median(results.map((r) => pick(r[key])));
  const size = results[0].size;
  for (const key of ["pan", "zoom", "drag"]) {
    const pct = (field) => `${Math.round(m(key, (x) => x[field]) * 100)} %`;
    const compositor = traced
      ? ` ${m(key, (x) => x.presented)} / ${m(key, (x) => x.dropped)} |`
      : "";
    lines.push(
      `| ${size} | ${key} | ${m(key, (x) => x.frames)} | ${ms(m(key, (x) => x.p50))} | ${ms(m(key, (x) => x.p95))} | ${ms(m(key, (x) => x.max))} | ${m(key, (x) => x.slow)} | ${m(key, (x) => x.inputs)} | ${pct("busy")} (${pct("script")} / ${pct("layout")} / ${pct("style")}) |${compositor}`,
    );
  }
  const o = (pick) => median(results.map(pick));
  const missed = results.reduce((sum, r) => sum + r.select.missed, 0);
  return [
    ...lines,
    "",
    `${size} steps: open ${ms(o((r) => r.open.opened))}, reopen ${ms(o((r) => r.reopen))}; ` +
      `click to next paint ${clickPaint(o((r) => r.select.paint))}, to settings shown ${ms(o((r) => r.select.settings))}` +
      `${missed ? ` (${missed} clicks never answered)` : ""}; ` +
      `opened at zoom ${o((r) => r.open.zoom).toFixed(2)} with ${o((r) => r.open.steps)} steps and ${o((r) => r.open.edges)} wires in the DOM; ` +
      `diagnostics: ${results[0].diagnostics.errors} errors, ${results[0].diagnostics.warnings} warnings.`,
  ].join("\n");
}

const spool = await startSpool();
let browser;
try {
  browser = await openBrowser();
  const all = new Map(SIZES.map((size) => [size, []]));
  for (let index = 1; index <= RUNS; index++) {
    for (const size of SIZES) {
      const result = await run(spool, browser, size, index);
      all.get(size).push(result);
      console.error(
        `run ${index}, ${size} steps: open ${ms(result.open.opened)}, pan p95 ${ms(result.pan.p95)}, zoom p95 ${ms(result.zoom.p95)}, drag p95 ${ms(result.drag.p95)}`,
      );
    }
  }
  console.log(`\nMedians of ${RUNS} run${RUNS === 1 ? "" : "s"}:\n`);
  for (const results of all.values()) console.log(`${table(results)}\n`);
} finally {
  await browser?.close();
  await spool.stop();
}
