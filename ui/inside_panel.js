
// The "Inside the network" panel of Torchlab's live chart (one module with live_chart.js): a
// run's probes drawn in the browser. Per layer: its histogram over time (a strip, a column per
// probe, edges fixed at the first probe), its numbers and, for activations, a sentence on its
// dead units; the update:data and grad:data ratios over time with Karpathy's -3 guide; conv1's
// filters; and, when opened, the probe digit's feature maps and softmax.

const DIGIT_LABELS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const PAGES = { activations: "Activations", backprop: "Loss & backprop", optimizers: "Optimizers", layers: "Layers" };

function pageLink(path) {
  // The app's page, keeping this tab's owner token so its runs stay its own there.
  const url = new URL(`/${path}`, window.location.origin);
  const session = new URLSearchParams(window.location.search).get("session");
  if (session) url.searchParams.set("session", session);
  const link = el("a", { href: url.toString(), target: "_self", class: "tl-link" }, `→ ${PAGES[path] || path}`);
  return link;
}

function sentence(text, page) {
  const p = el("p", { class: "tl-sentence" }, text + " ");
  if (page) p.appendChild(pageLink(page));
  return p;
}

function fmt(v, digits = 3) {
  return v === null || v === undefined ? "—" : Number(v).toPrecision(digits);
}

function strip(card, hist) {
  // A heat strip: x = probe (time), y = histogram bin (low at the bottom), shade = log count.
  const cols = hist.length;
  const bins = cols ? (hist.find((h) => h) || []).length : 0;
  const canvas = el("canvas", { class: "tl-strip", width: String(Math.max(cols, 1) * 4), height: String(Math.max(bins, 1) * 3) });
  const ctx = canvas.getContext("2d");
  let top = 1;
  for (const h of hist) if (h) for (const c of h) top = Math.max(top, c);
  const norm = Math.log1p(top);
  hist.forEach((h, x) => {
    if (!h) return;
    h.forEach((count, b) => {
      const shade = count ? Math.log1p(count) / norm : 0;
      ctx.fillStyle = `rgba(238, 76, 44, ${shade.toFixed(3)})`;
      ctx.fillRect(x * 4, (bins - 1 - b) * 3, 4, 3);
    });
  });
  card.appendChild(canvas);
}

function layerCard(layer) {
  const card = el("div", { class: "tl-card", "data-layer": layer.name });
  card.appendChild(el("div", { class: "tl-card-title" }, `${layer.name} · ${layer.kind}`));
  strip(card, layer.hist);
  if (layer.edges) {
    const [low, high] = [layer.edges[0], layer.edges[layer.edges.length - 1]];
    card.appendChild(el("div", { class: "tl-caption" }, `values ${fmt(low, 2)} to ${fmt(high, 2)} (finer near 0) up, probes over time →`));
  }
  const dead = layer.dead ? layer.dead[layer.dead.length - 1] : null;
  const stats = [`mean ${fmt(layer.mean)}`, `std ${fmt(layer.std)}`, `zeros ${layer.zeros === null ? "—" : (100 * layer.zeros).toFixed(0)}%`];
  if (dead !== null && dead !== undefined) stats.push(`dead ${(100 * dead).toFixed(0)}%`);
  stats.push(`dL/da std ${fmt(layer.grad_std, 2)}`);
  card.appendChild(el("div", { class: "tl-stats" }, stats.join(" · ")));
  if (layer.sentence) card.appendChild(sentence(layer.sentence, layer.teaches));
  return card;
}

function ratioChart(uPlot, target, title, inside, key, guide, state) {
  const xs = inside.step;
  const series = inside.weights.map((w, i) => ({ label: w.name, stroke: ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"][i % 6], width: 2 }));
  const data = [xs, ...inside.weights.map((w) => w[key])];
  const lines = [];
  if (guide) {
    data.push(xs.map(() => inside.guide), xs.map(() => inside.healthy[0]), xs.map(() => inside.healthy[1]));
    lines.push({ label: "guide −3 (1/1,000)", stroke: "#888", width: 1, dash: [6, 4] },
      { label: `healthy band ${inside.healthy[0]}`, stroke: "#ccc", width: 1 }, { label: `${inside.healthy[1]}`, stroke: "#ccc", width: 1 });
  }
  const colors = themeColors(state.host);
  const opts = {
    title,
    width: Math.max(target.clientWidth || 300, 280),
    height: 220,
    scales: { x: { time: false } },
    axes: [
      { label: "step", stroke: colors.text, grid: { stroke: colors.grid } },
      { label: "log10", stroke: colors.text, grid: { stroke: colors.grid } },
    ],
    series: [{ label: "step" }, ...[...series, ...lines].map((s) => ({ ...s, spanGaps: true, points: { show: false } }))],
    legend: { live: false },
  };
  target.innerHTML = "";
  return new uPlot(opts, data, target);
}

function filtersGrid(filters) {
  const box = el("div", { class: "tl-filters" });
  if (!filters || !filters.shape || !filters.values) return box;
  const [out, inp, kh, kw] = filters.shape;
  const per = inp * kh * kw;
  let top = 1e-12;
  for (const v of filters.values) if (v !== null) top = Math.max(top, Math.abs(v));
  for (let f = 0; f < out; f += 1) {
    const canvas = el("canvas", { width: String(kw * 6), height: String(kh * 6), title: `filter ${f + 1}` });
    const ctx = canvas.getContext("2d");
    for (let i = 0; i < kh; i += 1) {
      for (let j = 0; j < kw; j += 1) {
        const v = filters.values[f * per + i * kw + j] || 0;  // the first input channel
        const t = Math.abs(v) / top;
        ctx.fillStyle = v >= 0 ? `rgba(238, 76, 44, ${t.toFixed(3)})` : `rgba(31, 119, 180, ${t.toFixed(3)})`;
        ctx.fillRect(j * 6, i * 6, 6, 6);
      }
    }
    box.appendChild(canvas);
  }
  return box;
}

function levelsImage(record, channel, scale) {
  // One channel of quantized maps (8-bit levels, base64) as a grey picture.
  const [c, h, w] = record.shape.length === 3 ? record.shape : [1, ...record.shape];
  const raw = atob(record.levels);
  const canvas = el("canvas", { width: String(w * scale), height: String(h * scale), title: `channel ${channel + 1} of ${c}` });
  const ctx = canvas.getContext("2d");
  const offset = channel * h * w;
  for (let i = 0; i < h; i += 1) {
    for (let j = 0; j < w; j += 1) {
      const g = raw.charCodeAt(offset + i * w + j);
      ctx.fillStyle = `rgb(${g},${g},${g})`;
      ctx.fillRect(j * scale, i * scale, scale, scale);
    }
  }
  return canvas;
}

function digitView(digit) {
  const box = el("div", { class: "tl-digit" });
  if (!digit) {
    box.appendChild(el("p", { class: "tl-caption" }, "The probe digit appears with the next probe."));
    return box;
  }
  const row = el("div", { class: "tl-digit-row" });
  const input = el("div", {});
  input.append(el("div", { class: "tl-card-title" }, "input"), levelsImage(digit.input, 0, 3));
  row.appendChild(input);
  const bars = el("div", { class: "tl-softmax" });
  const best = digit.softmax.indexOf(Math.max(...digit.softmax));
  digit.softmax.forEach((p, k) => {
    const bar = el("div", { class: `tl-bar-row${k === best ? " tl-best" : ""}` });
    const fill = el("span", { class: "tl-bar-fill" });
    fill.style.width = `${(100 * (p || 0)).toFixed(1)}%`;
    bar.append(el("span", { class: "tl-bar-label" }, DIGIT_LABELS[k]), fill, el("span", { class: "tl-bar-value" }, `${(100 * (p || 0)).toFixed(1)}%`));
    bars.appendChild(bar);
  });
  row.appendChild(bars);
  box.appendChild(row);
  box.appendChild(el("p", { class: "tl-sentence" }, `The network says ${DIGIT_LABELS[best]}, ${(100 * digit.softmax[best]).toFixed(1)}% sure, for the probe digit as it is now.`));
  for (const maps of digit.maps) {
    box.appendChild(el("div", { class: "tl-card-title" }, `${maps.name}: ${maps.shape[0]} feature maps of ${maps.shape[1]}×${maps.shape[2]}`));
    const grid = el("div", { class: "tl-maps" });
    for (let ch = 0; ch < maps.shape[0]; ch += 1) grid.appendChild(levelsImage(maps, ch, 2));
    box.appendChild(grid);
  }
  return box;
}

function drawInside(state, container, run) {
  // The whole panel of one run, drawn again (it is small: a few canvases and two charts).
  const inside = run.inside;
  container.innerHTML = "";
  if (!inside) {
    container.appendChild(el("p", { class: "tl-caption" }, run.finished
      ? "This run has no probes of its inside (it was trained before probes, or without them)."
      : "The inside of the network appears here after the first probe (a probe is taken about every 1.5 s)."));
    return;
  }
  container.appendChild(el("div", { class: "tl-card-title" }, `Inside the network · ${inside.step.length} probes, the last at step ${inside.step[inside.step.length - 1]}`));
  const cards = el("div", { class: "tl-cards" });
  for (const layer of inside.layers) cards.appendChild(layerCard(layer));
  container.appendChild(cards);
  const ratios = el("div", { class: "tl-ratios" });
  const update = el("div", { class: "tl-ratio" });
  const grad = el("div", { class: "tl-ratio" });
  ratios.append(update, grad);
  container.appendChild(ratios);
  const uPlot = window.uPlot;
  if (uPlot) {
    ratioChart(uPlot, update, "update : data, log10(std ΔW / std W)", inside, "update", true, state);
    ratioChart(uPlot, grad, "grad : data, log10(std ∂L/∂W / std W)", inside, "grad_data", false, state);
  }
  for (const w of inside.weights) container.appendChild(sentence(w.sentence, inside.teaches.update));
  container.appendChild(sentence(inside.gradient, inside.teaches.gradient));
  container.appendChild(el("div", { class: "tl-card-title" }, "conv1's filters (red positive, blue negative)"));
  container.appendChild(filtersGrid(inside.filters));
  container.appendChild(sentence("Each filter is a small kernel the run learns, sliding over the image; they start as random numbers.", inside.teaches.filters));
  const details = el("details", { class: "tl-digit-box" });
  if (state.wantDigit) details.setAttribute("open", "");
  details.appendChild(el("summary", {}, "The probe digit through the network"));
  details.appendChild(digitView(inside.digit || state.lastDigit));
  details.ontoggle = () => {
    state.wantDigit = details.open;
    if (details.open) { stopPolling(state); poll(state); }
  };
  container.appendChild(details);
  if (inside.digit) state.lastDigit = inside.digit;
}
