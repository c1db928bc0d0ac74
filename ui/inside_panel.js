
// The "Inside the network" panel of Torchlab's live chart (one module with live_chart.js): a
// run's probes drawn in the browser. Per layer: its histogram over time (a strip, a column per
// probe, edges fixed at the first probe), its numbers and, for activations, a sentence on its
// dead units; the update:data and grad:data ratios over time with Karpathy's -3 guide; conv1's
// filters; and, when opened, the probe digit's feature maps and softmax. The panel is built
// once per run and layout; a new probe only repaints its canvases (one ImageData each), resets
// its texts and hands its two ratio charts new data, so a live update costs the browser little.

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

function paint(canvas, width, height, rgba) {
  // Draw a width × height picture pixel by pixel in one go; CSS scales it up, pixelated.
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const image = new ImageData(width, height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const [r, g, b, a] = rgba(x, y);
      const i = 4 * (y * width + x);
      image.data[i] = r; image.data[i + 1] = g; image.data[i + 2] = b; image.data[i + 3] = a;
    }
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

function paintStrip(canvas, hist) {
  // A heat strip: x = probe (time), y = histogram bin (low at the bottom), shade = log count.
  const cols = Math.max(hist.length, 1);
  const bins = Math.max((hist.find((h) => h) || []).length, 1);
  let top = 1;
  for (const h of hist) if (h) for (const c of h) top = Math.max(top, c);
  const norm = Math.log1p(top);
  paint(canvas, cols, bins, (x, y) => {
    const count = hist[x] ? hist[x][bins - 1 - y] || 0 : 0;
    return [238, 76, 44, Math.round(255 * (count ? Math.log1p(count) / norm : 0))];
  });
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setSentences(holder, items) {
  // Sentences with their page links, written again only when one of them changed.
  const key = JSON.stringify(items);
  if (holder.dataset.key === key) return;
  holder.dataset.key = key;
  holder.innerHTML = "";
  for (const [text, page] of items) if (text) holder.appendChild(sentence(text, page));
}

function layerCard(layer) {
  const card = el("div", { class: "tl-card", "data-layer": layer.name });
  const parts = {
    card,
    strip: el("canvas", { class: "tl-strip" }),
    caption: el("div", { class: "tl-caption" }),
    stats: el("div", { class: "tl-stats" }),
    sentence: el("div", {}),
  };
  card.append(el("div", { class: "tl-card-title" }, `${layer.name} · ${layer.kind}`), parts.strip,
    parts.caption, parts.stats, parts.sentence);
  return parts;
}

function updateCard(parts, layer) {
  paintStrip(parts.strip, layer.hist);
  parts.strip.dataset.probes = String(layer.hist.length);
  const [low, high] = layer.edges ? [layer.edges[0], layer.edges[layer.edges.length - 1]] : [null, null];
  setText(parts.caption, layer.edges ? `values ${fmt(low, 2)} to ${fmt(high, 2)} (finer near 0) up, probes over time →` : "");
  const dead = layer.dead ? layer.dead[layer.dead.length - 1] : null;
  const stats = [`mean ${fmt(layer.mean)}`, `std ${fmt(layer.std)}`, `zeros ${layer.zeros === null ? "—" : (100 * layer.zeros).toFixed(0)}%`];
  if (dead !== null && dead !== undefined) stats.push(`dead ${(100 * dead).toFixed(0)}%`);
  stats.push(`dL/da std ${fmt(layer.grad_std, 2)}`);
  setText(parts.stats, stats.join(" · "));
  setSentences(parts.sentence, [[layer.sentence, layer.teaches]]);
}

function ratioData(inside, key, guide) {
  const xs = inside.step;
  const data = [xs, ...inside.weights.map((w) => w[key])];
  if (guide) data.push(xs.map(() => inside.guide), xs.map(() => inside.healthy[0]), xs.map(() => inside.healthy[1]));
  return data;
}

function ratioChart(uPlot, target, title, inside, key, guide, state) {
  const series = inside.weights.map((w, i) => ({ label: w.name, stroke: ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"][i % 6], width: 2 }));
  const lines = [];
  if (guide) {
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
  return new uPlot(opts, ratioData(inside, key, guide), target);
}

function paintFilters(box, filters) {
  // conv1's filters (their first input channel), red positive, blue negative, one scale.
  if (!filters || !filters.shape || filters.shape.length !== 4 || !filters.values) { box.innerHTML = ""; return; }
  const [out, inp, kh, kw] = filters.shape;
  const per = inp * kh * kw;
  while (box.children.length > out) box.lastChild.remove();
  while (box.children.length < out) {
    const f = box.children.length;
    const canvas = el("canvas", { title: `filter ${f + 1}` });
    canvas.style.width = `${kw * 6}px`;
    canvas.style.height = `${kh * 6}px`;
    box.appendChild(canvas);
  }
  let top = 1e-12;
  for (const v of filters.values) if (v !== null) top = Math.max(top, Math.abs(v));
  for (let f = 0; f < out; f += 1) {
    paint(box.children[f], kw, kh, (j, i) => {
      const v = filters.values[f * per + i * kw + j] || 0;
      const a = Math.round(255 * Math.abs(v) / top);
      return v >= 0 ? [238, 76, 44, a] : [31, 119, 180, a];
    });
  }
}

function levelsImage(record, channel, scale) {
  // One channel of quantized maps (8-bit levels, base64) as a grey picture.
  const [c, h, w] = record.shape.length === 3 ? record.shape : [1, ...record.shape];
  const raw = record.raw || (record.raw = atob(record.levels));
  const canvas = el("canvas", { title: `channel ${channel + 1} of ${c}` });
  canvas.style.width = `${w * scale}px`;
  canvas.style.height = `${h * scale}px`;
  const offset = channel * h * w;
  paint(canvas, w, h, (j, i) => {
    const g = raw.charCodeAt(offset + i * w + j);
    return [g, g, g, 255];
  });
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

function buildPanel(state, container, inside) {
  container.innerHTML = "";
  const panel = { title: el("div", { class: "tl-card-title" }), cards: [], charts: [] };
  container.appendChild(panel.title);
  const cards = el("div", { class: "tl-cards" });
  for (const layer of inside.layers) {
    const parts = layerCard(layer);
    cards.appendChild(parts.card);
    panel.cards.push(parts);
  }
  container.appendChild(cards);
  const ratios = el("div", { class: "tl-ratios" });
  panel.update = el("div", { class: "tl-ratio" });
  panel.grad = el("div", { class: "tl-ratio" });
  ratios.append(panel.update, panel.grad);
  container.appendChild(ratios);
  panel.sentences = el("div", {});
  panel.filters = el("div", { class: "tl-filters" });
  container.append(panel.sentences);
  if (inside.filters && inside.filters.shape && inside.filters.shape.length === 4) {
    container.append(el("div", { class: "tl-card-title" }, "conv1's filters (red positive, blue negative)"), panel.filters);
    container.appendChild(sentence("Each filter is a small kernel the run learns, sliding over the image; they start as random numbers.", inside.teaches.filters));
  }
  const details = el("details", { class: "tl-digit-box" });
  if (state.wantDigit) details.setAttribute("open", "");
  details.appendChild(el("summary", {}, "The probe digit through the network"));
  panel.digit = el("div", {});
  details.appendChild(panel.digit);
  details.ontoggle = () => {
    state.wantDigit = details.open;
    if (details.open) { stopPolling(state); poll(state); }
  };
  container.appendChild(details);
  const uPlot = window.uPlot;
  if (uPlot) {
    panel.charts = [
      [ratioChart(uPlot, panel.update, "update : data, log10(std ΔW / std W)", inside, "update", true, state), "update", true],
      [ratioChart(uPlot, panel.grad, "grad : data, log10(std ∂L/∂W / std W)", inside, "grad_data", false, state), "grad_data", false],
    ];
  }
  return panel;
}

function drawInside(state, container, run) {
  // One run's panel: built when its layers first show, then brought up to date in place.
  const inside = run.inside;
  if (!inside) {
    container.panel = null;
    container.innerHTML = "";
    container.appendChild(el("p", { class: "tl-caption" }, run.finished
      ? "This run has no probes of its inside (it was trained before probes, or without them)."
      : "The inside of the network appears here after the first probe (a probe is taken about every 1.5 s)."));
    return;
  }
  const layout = JSON.stringify([inside.layers.map((l) => [l.name, l.kind]), inside.weights.map((w) => w.name),
    inside.filters && inside.filters.shape, !!window.uPlot]);
  if (!container.panel || container.panel.layout !== layout) {
    container.panel = buildPanel(state, container, inside);
    container.panel.layout = layout;
  }
  const panel = container.panel;
  setText(panel.title, `Inside the network · ${inside.step.length} probes, the last at step ${inside.step[inside.step.length - 1]}`);
  inside.layers.forEach((layer, i) => updateCard(panel.cards[i], layer));
  for (const [chart, key, guide] of panel.charts) chart.setData(ratioData(inside, key, guide));
  setSentences(panel.sentences, [...inside.weights.map((w) => [w.sentence, inside.teaches.update]),
    [inside.gradient, inside.teaches.gradient]]);
  paintFilters(panel.filters, inside.filters);
  const digit = inside.digit || state.lastDigit;
  if (digit !== panel.digitShown) {
    panel.digit.replaceChildren(digitView(digit));
    panel.digitShown = digit;
  }
  if (inside.digit) state.lastDigit = inside.digit;
}
