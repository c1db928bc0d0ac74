
// The curves of Torchlab's live chart (one module with inside_panel.js and live_chart.js):
// the smoothing the Python side also does, the series each run gives the loss and accuracy
// charts, and one uPlot chart of them.

const X_AXES = {
  step: "updates (optimizer steps)",
  epochs: "epochs (passes over the training images)",
  samples: "images seen",
  seconds: "training time (s)",
};
const HEIGHT = 300;

// The same maths as core/engine/looks/figures.py (smooth, fitted_smoothing).
export function smooth(values, weight) {
  const out = [];
  let avg = 0;
  let n = 0;
  for (const v of values) {
    if (v === null) { out.push(null); continue; }
    n += 1;
    avg = weight * avg + (1 - weight) * v;
    out.push(weight > 0 ? avg / (1 - weight ** n) : v);
  }
  return out;
}

export function fittedSmoothing(weight, points) {
  return points ? Math.max(0, Math.min(weight, 1 - 10 / points)) : 0;
}

function seriesOf(state) {
  // One aligned table per chart (uPlot.join), and what each series is.
  const { payload, settings } = state;
  const lossTables = [];
  const lossSeries = [];
  const accTables = [];
  const accSeries = [];
  const drawn = [];
  const less = [];
  for (const run of payload.runs) {
    const xs = run.train[settings.x] || [];
    const raw = run.train.loss || [];
    const keep = raw.map((v, i) => v !== null && xs[i] !== null);
    const x = xs.filter((_, i) => keep[i]);
    const y = raw.filter((_, i) => keep[i]);
    const weight = fittedSmoothing(settings.smoothing, run.logged);
    if (weight < settings.smoothing && run.logged > 0) less.push({ run, weight });
    const smoothed = smooth(y, weight);
    drawn.push({ id: run.id, x, raw: y, smoothed, weight });
    if (x.length) {
      if (weight > 0) {
        lossTables.push([x, y]);
        lossSeries.push({ label: `${run.name} · raw`, stroke: run.color, width: 1, alpha: 0.3, raw: true });
      }
      lossTables.push([x, smoothed]);
      lossSeries.push({ label: payload.runs.length > 1 ? run.name : `${run.name} · training loss`, stroke: run.color, width: 2 });
    }
    const tx = run.test[settings.x] || [];
    if (tx.length) {
      lossTables.push([tx, run.test.loss]);
      lossSeries.push({ label: `${run.name} · test loss`, stroke: run.color, width: 1, dash: [4, 4], points: true });
      accTables.push([tx, run.test.accuracy]);
      accSeries.push({ label: run.name, stroke: run.color, width: 2, points: true });
    }
  }
  // Said whenever a curve was smoothed less than the slider reads (too few logged losses).
  let fittedNote = "";
  if (less.length === 1 && payload.runs.length === 1) {
    const { run, weight } = less[0];
    fittedNote = `Smoothed with ${weight.toFixed(2)}, not ${settings.smoothing.toFixed(2)}: over ${run.logged} logged losses a stronger average would hide where the curve ends.`;
  } else if (less.length) {
    const each = less.map(({ run, weight }) => `${run.name} with ${weight.toFixed(2)} (${run.logged} logged losses)`).join("; ");
    fittedNote = `Smoothed with less than ${settings.smoothing.toFixed(2)} where a run logged few losses: ${each}. Over so few points a stronger average would hide where the curve ends (0 draws the raw losses).`;
  }
  return { lossTables, lossSeries, accTables, accSeries, drawn, fittedNote };
}

function themeColors(host) {
  const style = getComputedStyle(host);
  const text = style.getPropertyValue("--st-text-color").trim() || "#31333F";
  return { text, grid: "rgba(128,128,128,0.2)" };
}

// An accuracy axis never reads past 100% (uPlot's own padding drew 0 to 1.5 for one 88% point).
function accuracyRange(u, min, max) {
  const pad = Math.max(0.02, (max - min) * 0.1);
  return [Math.max(0, min - pad), Math.min(1, max + pad)];
}

function makeChart(uPlot, target, title, yLabel, series, table, state, y) {
  const colors = themeColors(state.host);
  const opts = {
    title,
    width: Math.max(target.clientWidth || state.host.clientWidth || 600, 300),
    height: HEIGHT,
    scales: { x: { time: false }, y },
    axes: [
      { label: X_AXES[state.settings.x], stroke: colors.text, grid: { stroke: colors.grid } },
      { label: yLabel, stroke: colors.text, grid: { stroke: colors.grid }, size: 60 },
    ],
    series: [
      { label: X_AXES[state.settings.x] },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.raw ? `${s.stroke}4d` : s.stroke,
        width: s.width,
        dash: s.dash,
        spanGaps: true,
        points: { show: !!s.points, size: 7, fill: s.stroke },
      })),
    ],
    legend: { show: true },
    cursor: { drag: { x: true, y: false } },
  };
  target.innerHTML = "";
  return new uPlot(opts, table, target);
}
