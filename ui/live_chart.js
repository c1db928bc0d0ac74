
// Torchlab's live run chart (st.components.v2): curves drawn in the browser with uPlot, kept up
// to date by fetching the app's live route while a run trains. The page never reruns for an
// update; when every watched run has ended the chart asks for one rerun ("ended" trigger).
// Created once per element and updated after: Streamlit calls this again with new data.

const SETTINGS_DEFAULT = { x: "step", smoothing: 0.6, log: false };

let uPlotReady = null;

function loadUPlot(assets) {
  // The vendored library once per tab, as a classic script (it defines window.uPlot).
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!uPlotReady) {
    uPlotReady = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${assets}/uPlot.iife.min.js`;
      script.onload = () => resolve(window.uPlot);
      script.onerror = () => reject(new Error("the chart library did not load"));
      document.head.appendChild(script);
    });
  }
  return uPlotReady;
}

function readSettings(name) {
  try {
    return { ...SETTINGS_DEFAULT, ...JSON.parse(localStorage.getItem(`torchlab-chart-${name}`) || "{}") };
  } catch (e) {
    return { ...SETTINGS_DEFAULT };
  }
}

function saveSettings(name, settings) {
  try { localStorage.setItem(`torchlab-chart-${name}`, JSON.stringify(settings)); } catch (e) { /* private mode */ }
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function pct(v) { return v === null || v === undefined ? "—" : `${(100 * v).toFixed(2)}%`; }
function num(v) { return v === null || v === undefined ? "—" : v.toFixed(4); }

function buildDom(root, data) {
  root.innerHTML = "";
  const box = el("div", { class: "tl-live" });
  const runs = el("div", { class: "tl-runs" });
  const controls = el("div", { class: "tl-controls" });
  const xs = el("label", {}, "x-axis ");
  const xSelect = el("select", { "aria-label": "x-axis" });
  for (const [value, label] of Object.entries(X_AXES)) xSelect.appendChild(el("option", { value }, label));
  xs.appendChild(xSelect);
  const sm = el("label", {}, "smoothing ");
  const smInput = el("input", { type: "range", min: "0", max: "0.99", step: "0.01", "aria-label": "smoothing" });
  const smValue = el("span", { class: "tl-value" });
  sm.append(smInput, smValue);
  const lg = el("label", {}, " log scale");
  const lgInput = el("input", { type: "checkbox", "aria-label": "log scale" });
  lg.prepend(lgInput);
  controls.append(xs, sm, lg);
  const note = el("div", { class: "tl-note" });
  const loss = el("div", { class: "tl-chart tl-loss" });
  const accuracy = el("div", { class: "tl-chart tl-accuracy" });
  const inside = el("div", { class: "tl-inside" });
  // Side by side where there is room, and the log folded: one run's view was 2,500 px tall.
  const curves = el("div", { class: "tl-curves" });
  curves.append(loss, accuracy);
  const log = el("pre", { class: "tl-log" });
  const logBox = el("details", { class: "tl-log-box" });
  logBox.append(el("summary", {}, "The run's log"), log);
  const problem = el("div", { class: "tl-problem" });
  box.append(runs, controls, note, curves, inside, logBox, problem);
  root.appendChild(box);
  return { box, runs, controls, xSelect, smInput, smValue, lgInput, note, loss, accuracy, inside, log, logBox, problem };
}

function statusLine(run) {
  // A stop that took effect reads "stopped" at once; the kept model's test comes just after.
  if (run.halted && !run.finished) return `${run.name} — stopped · seed ${run.seed} · testing and saving the kept model…`;
  const stopping = run.stopping && !run.finished ? " · stopping before the next batch…" : "";
  return `${run.name} — ${run.status} · seed ${run.seed}${stopping}`;
}

function drawRuns(state) {
  const { dom, payload, data } = state;
  dom.runs.innerHTML = "";
  for (const run of payload.runs) {
    const shown = run.halted && !run.finished ? "stopped" : run.status;  // see statusLine
    const row = el("div", { class: `tl-run tl-${shown}`, "data-run": run.id, "data-status": shown, "data-ended": run.finished ? "yes" : "no" });
    const head = el("div", { class: "tl-head" });
    const swatch = el("span", { class: "tl-swatch" });
    swatch.style.background = run.color;
    head.append(swatch, el("b", {}, statusLine(run)));
    if (data.stop_token && data.mode === "single" && !run.finished && !run.stopping) {
      const button = el("button", { class: "tl-stop", type: "button", title: "Stops before the next batch; the run is kept as 'stopped'." }, "■ Stop");
      button.onclick = () => requestStop(state, run, button);
      head.appendChild(button);
    }
    row.appendChild(head);
    if (data.mode !== "list" || !run.finished) {
      const bar = el("div", { class: "tl-bar" });
      const fill = el("div", { class: "tl-fill" });
      fill.style.width = `${(100 * run.progress).toFixed(1)}%`;
      bar.appendChild(fill);
      row.append(bar, el("div", { class: "tl-progress" }, run.progress_text));
    }
    if (run.resumed_after !== null && run.resumed_after !== undefined) {
      row.appendChild(el("div", { class: "tl-caption" }, `Resumed from its checkpoint, in epoch ${run.resumed_after + 1}.`));
    }
    if (run.status === "failed" && run.error) row.appendChild(el("div", { class: "tl-error" }, run.error));
    if (run.accuracy !== null && data.mode === "single") {
      const metrics = el("div", { class: "tl-metrics" });
      metrics.append(
        el("div", { class: "tl-metric", title: `Measured ${run.tested_when}.` }, `Test accuracy ${pct(run.accuracy)}`),
        el("div", { class: "tl-metric" }, `Test loss ${num(run.test_loss)}`),
        el("div", { class: "tl-metric" }, `Training loss (last logged) ${num(run.train_loss)}`),
      );
      row.appendChild(metrics);
    } else if (data.mode !== "single") {
      row.appendChild(el("span", { class: "tl-caption" }, ` test accuracy ${pct(run.accuracy)}`));
    }
    dom.runs.appendChild(row);
  }
}

function redraw(state) {
  const uPlot = window.uPlot;
  const { dom, settings } = state;
  drawRuns(state);
  const charts = state.data.mode !== "list";
  for (const part of [dom.controls, dom.note, dom.loss, dom.accuracy, dom.inside]) part.style.display = charts ? "" : "none";
  if (!uPlot || !charts) {
    markState(state);
    return;
  }
  const s = seriesOf(state);
  state.drawn = s.drawn;
  dom.note.textContent = s.fittedNote;
  const shape = JSON.stringify([settings, s.lossSeries.map((x) => x.label), s.accSeries.map((x) => x.label)]);
  const lossTable = s.lossTables.length ? uPlot.join(s.lossTables) : null;
  const accTable = s.accTables.length ? uPlot.join(s.accTables) : null;
  if (shape !== state.shape) {  // new series or settings: build the charts again
    for (const chart of [state.lossChart, state.accChart]) if (chart) chart.destroy();
    state.lossChart = lossTable ? makeChart(uPlot, dom.loss, "Loss", "loss (negative log-likelihood)", s.lossSeries, lossTable, state, settings.log ? { distr: 3 } : { auto: true }) : null;
    state.accChart = accTable ? makeChart(uPlot, dom.accuracy, "Test accuracy", "accuracy", s.accSeries, accTable, state, { range: accuracyRange }) : null;
    if (!lossTable) dom.loss.textContent = state.payload.runs.some((r) => !r.finished)
      ? "The loss curve appears here after the first logged batch."
      : "No logged batch: no loss curve to draw.";
    if (!accTable) dom.accuracy.innerHTML = "";
    state.shape = shape;
  } else {  // the same series with more points: only the data changes
    if (state.lossChart && lossTable) state.lossChart.setData(lossTable);
    if (state.accChart && accTable) state.accChart.setData(accTable);
  }
  drawInsides(state);
  if (state.data.mode === "single") {
    const run = state.payload.runs[0];
    dom.log.textContent = run && run.log.length ? run.log.join("\n") : "waiting for the first batch…";
    dom.logBox.style.display = "";
  } else {
    dom.logBox.style.display = "none";
  }
  markState(state);
}

function drawInsides(state) {
  // The panel: one run's, or two runs' side by side (compare lr 0.5 with lr 10, say).
  const { dom, payload } = state;
  const runs = payload.runs;
  const shape = JSON.stringify([state.data.mode, state.wantDigit, runs.map((r) => [r.id,
    r.inside ? r.inside.step.length + ":" + r.inside.step[r.inside.step.length - 1] : null,
    !!(r.inside && r.inside.digit), r.finished])]);
  if (shape === state.insideShape) return;  // no new probe: the panel stays as it is
  state.insideShape = shape;
  const t0 = performance.now();
  const mode = state.data.mode;
  const shown = mode === "single" ? runs.slice(0, 1) : mode === "compare" && runs.length === 2 ? runs : [];
  const columns = JSON.stringify(shown.map((r) => [r.id, r.name]));
  if (columns !== state.insideColumns) {  // other runs: new columns, their panels built anew
    state.insideColumns = columns;
    dom.inside.innerHTML = "";
    if (shown.length) {
      const row = el("div", { class: "tl-inside-row" });
      for (const run of shown) {
        const column = el("div", { class: "tl-inside-column", "data-run": run.id });
        if (shown.length === 2) column.appendChild(el("b", {}, run.name));
        column.appendChild(el("div", { class: "tl-inside-panel" }));
        row.appendChild(column);
      }
      dom.inside.appendChild(row);
    } else if (mode === "compare") {
      dom.inside.appendChild(el("p", { class: "tl-caption" }, "Pick exactly two runs to see the inside of both networks side by side."));
    }
  }
  const panels = dom.inside.querySelectorAll(".tl-inside-panel");
  shown.forEach((run, i) => drawInside(state, panels[i], run));
  state.panelDraws += 1;
  state.panelMs += performance.now() - t0;
}

function markState(state) {
  // How many live updates this chart fetched, how often the panel was drawn and its script's
  // milliseconds in all (benchmarks/live_throughput.py reads them).
  state.root.setAttribute("data-polls", String(state.polls));
  state.root.setAttribute("data-panel-draws", String(state.panelDraws));
  state.root.setAttribute("data-panel-ms", state.panelMs.toFixed(1));
}

function bindControls(state) {
  const { dom } = state;
  const sync = () => {
    dom.xSelect.value = state.settings.x;
    dom.smInput.value = String(state.settings.smoothing);
    dom.smValue.textContent = ` ${Number(state.settings.smoothing).toFixed(2)}`;
    dom.lgInput.checked = !!state.settings.log;
  };
  sync();
  const changed = () => {
    state.settings = { x: dom.xSelect.value, smoothing: Number(dom.smInput.value), log: dom.lgInput.checked };
    saveSettings(state.data.settings, state.settings);
    sync();
    redraw(state);
  };
  dom.xSelect.onchange = changed;
  dom.smInput.oninput = changed;
  dom.lgInput.onchange = changed;
}

function merge(state, update) {
  const byId = new Map(update.runs.map((r) => [r.id, r]));
  state.payload = { ...state.payload, runs: state.payload.runs.map((r) => ({ ...(byId.get(r.id) || r), color: r.color })) };
}

function requestStop(state, run, button) {
  button.disabled = true;
  fetch(state.data.stop_url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ run: run.id, token: state.data.stop_token }),
  })
    .then((response) => {
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      run.stopping = true;
      drawRuns(state);
      stopPolling(state);
      poll(state);  // at once, then quickly until it says stopped
    })
    .catch((error) => {
      button.disabled = false;
      state.dom.problem.textContent = `Stop did not reach the server: ${error.message}.`;
    });
}

function pollDelay(state) {
  const stopping = state.payload.runs.some((r) => r.stopping && !r.finished);
  return stopping ? state.data.stopping_poll_ms : state.data.poll_ms;
}

function stopPolling(state) {
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
}

function poll(state) {
  const ids = state.data.ids;
  if (!ids.length) return;
  const digit = state.wantDigit ? "&digit=1" : "";
  const url = `${state.data.url}?runs=${encodeURIComponent(ids.join(","))}&token=${state.data.token}${digit}`;
  fetch(url, { credentials: "same-origin", cache: "no-store" })
    .then((response) => {
      if (!response.ok) throw new Error(`the live route answered ${response.status}`);
      return response.json();
    })
    .then((update) => {
      state.polls += 1;
      state.dom.problem.textContent = "";
      merge(state, update);
      redraw(state);
      const watched = state.payload.runs.filter((r) => ids.includes(r.id));
      if (watched.every((r) => r.finished)) {
        stopPolling(state);
        state.setTriggerValue("ended", `${ids.join(",")}@${Date.now()}`);  // one rerun
      } else {
        state.timer = setTimeout(() => poll(state), pollDelay(state));
      }
    })
    .catch((error) => {
      state.dom.problem.textContent = `Live updates paused: ${error.message}. Refresh the page to try again.`;
    });
}

const STATES = new WeakMap();

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = STATES.get(parentElement);
  if (!state) {
    const root = el("div", { class: "tl-root" });
    parentElement.appendChild(root);
    state = {
      root,
      host: parentElement.host || parentElement,
      dom: buildDom(root, data),
      settings: readSettings(data.settings),
      polls: 0,
      panelDraws: 0,
      panelMs: 0,
      shape: null,
      timer: null,
    };
    STATES.set(parentElement, state);
    const resize = new ResizeObserver(() => {
      for (const [chart, target] of [[state.lossChart, state.dom.loss], [state.accChart, state.dom.accuracy]]) {
        if (chart) chart.setSize({ width: Math.max(target.clientWidth, 300), height: HEIGHT });
      }
    });
    resize.observe(state.dom.box);
    state.resize = resize;
  }
  state.data = data;
  state.setTriggerValue = setTriggerValue;
  state.payload = data.payload;
  stopPolling(state);
  if (data.fallback) {  // the page's text copy of these numbers, for a browser without this chart
    for (const node of document.querySelectorAll(`.${data.fallback}`)) node.style.display = "none";
  }
  bindControls(state);
  loadUPlot(data.assets)
    .then(() => {
      state.shape = null;
      redraw(state);
      if (data.ids.length) state.timer = setTimeout(() => poll(state), pollDelay(state));
    })
    .catch((error) => { state.dom.problem.textContent = `The chart cannot be drawn: ${error.message}.`; });
  parentElement.torchlabChart = state;  // for the browser tests: what is drawn, how many polls
  return () => {
    stopPolling(state);
    if (state.resize) state.resize.disconnect();
    for (const chart of [state.lossChart, state.accChart]) if (chart) chart.destroy();
    STATES.delete(parentElement);
  };
}
