/* Charts drawn in the browser with uPlot (vendored, static/vendor/uplot) from the API's raw data:
 *   [data-chart="volume"]  new alerts per bucket and severity   GET /api/v1/alerts/volume
 *   [data-chart="series"]  the series of a PromQL selector       GET /api/v1/metrics/query_range
 */
(function () {
  "use strict";

  const SEVERITIES = ["critical", "error", "warning", "info"];
  const COLOURS = { critical: "#dc2626", error: "#ea580c", warning: "#d97706", info: "#2563eb" };
  const PALETTE = ["#2563eb", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#ea580c", "#9333ea"];

  function api(path) {
    return window.PV.api("GET", path);
  }

  function width(el) {
    return Math.max(280, el.clientWidth || el.parentElement.clientWidth || 600);
  }

  function empty(el, text) {
    el.innerHTML = "";
    const p = document.createElement("p");
    p.className = "chart-empty";
    p.textContent = text;
    el.appendChild(p);
  }

  function formatter(unit) {
    if (unit === "bytes") {
      return (v) => {
        if (v == null) return "—";
        const units = ["B", "KiB", "MiB", "GiB", "TiB"];
        let i = 0;
        while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
        return (i ? v.toFixed(1) : v.toFixed(0)) + " " + units[i];
      };
    }
    if (unit === "ratio") return (v) => (v == null ? "—" : (v * 100).toFixed(1) + " %");
    if (unit === "cores") return (v) => (v == null ? "—" : v.toFixed(3) + " cores");
    return (v) => (v == null ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(3));
  }

  function resizeWith(el, plot) {
    if (!window.ResizeObserver) return;
    new ResizeObserver(() => plot.setSize({ width: width(el), height: plot.height })).observe(el);
  }

  /* ------------------------------------------------------------ alert volume */

  async function drawVolume(el) {
    const hours = Number(el.dataset.hours || 24), step = Number(el.dataset.step || 60);
    let data;
    try {
      data = await api("/api/v1/alerts/volume?hours=" + hours + "&step_minutes=" + step);
    } catch (error) {
      return empty(el, "The alert volume cannot be had: " + error.message);
    }
    const xs = data.buckets.map((b) => new Date(b.start).getTime() / 1000);
    const raw = SEVERITIES.map((s) => data.buckets.map((b) => b.counts[s] || 0));
    // Stacked: each series is the sum of itself and the less severe ones below it; drawn
    // from the total down, so each bar shows its own severity's share.
    const stacked = raw.map((_, i) => xs.map((__, j) => raw.slice(i).reduce((sum, row) => sum + row[j], 0)));
    const bars = uPlot.paths.bars({ size: [0.8, 40] });
    const opts = {
      width: width(el),
      height: 220,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, max)] } },
      axes: [{}, { values: (u, ticks) => ticks.map((v) => (Number.isInteger(v) ? v : "")) }],
      series: [{}].concat(SEVERITIES.map((s, i) => ({
        label: s,
        stroke: COLOURS[s],
        fill: COLOURS[s],
        paths: bars,
        points: { show: false },
        value: (u, v, si, idx) => (idx == null ? "—" : raw[i][idx]),
      }))),
      legend: { live: true },
    };
    el.innerHTML = "";
    const plot = new uPlot(opts, [xs].concat(stacked), el);
    resizeWith(el, plot);
    el._plot = plot;
  }

  /* ------------------------------------------------------------ metric series */

  /* A series is named by the labels that tell it from the others (`pod=api-7d9f`), or by its
   * metric name when it is alone. */
  function labeller(series) {
    const keys = Array.from(new Set(series.flatMap((s) => Object.keys(s.labels))))
      .filter((k) => new Set(series.map((s) => s.labels[k])).size > 1);
    return (labels) => (keys.length ? keys.map((k) => (keys.length > 1 ? k + "=" : "") + (labels[k] ?? "")).join(" ") : (labels.__name__ || "series"));
  }

  async function drawSeries(el) {
    const query = el.dataset.query, minutes = el.dataset.minutes || 60, unit = el.dataset.unit || "";
    let data;
    try {
      data = await api("/api/v1/metrics/query_range?query=" + encodeURIComponent(query) + "&minutes=" + minutes);
    } catch (error) {
      return empty(el, "No data: " + error.message);
    }
    if (!data.series.length) return empty(el, "No series matches this query in the last " + minutes + " minutes.");
    const times = Array.from(new Set(data.series.flatMap((s) => s.points.map((p) => p[0])))).sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const columns = data.series.slice(0, PALETTE.length * 2).map((s) => {
      const column = new Array(times.length).fill(null);
      for (const [t, v] of s.points) column[index.get(t)] = v;
      return column;
    });
    const format = formatter(unit);
    const label = labeller(data.series);
    const opts = {
      width: width(el),
      height: 200,
      scales: { x: { time: true } },
      axes: [{}, { size: 86, values: (u, ticks) => ticks.map(format) }],
      series: [{}].concat(columns.map((_, i) => ({
        label: label(data.series[i].labels),
        stroke: PALETTE[i % PALETTE.length],
        width: 1.5,
        value: (u, v) => format(v),
        spanGaps: false,
      }))),
    };
    el.innerHTML = "";
    const plot = new uPlot(opts, [times].concat(columns), el);
    resizeWith(el, plot);
    el._plot = plot;
  }

  /* Charts not drawn yet: all of them at first, then those a live refresh brought. */
  function drawNew() {
    for (const el of document.querySelectorAll("[data-chart]:not([data-drawn])")) {
      el.dataset.drawn = "1";
      if (el.dataset.chart === "volume") drawVolume(el);
      else if (el.dataset.chart === "series") drawSeries(el);
    }
  }

  function start() {
    if (!window.uPlot || !window.PV) return;
    drawNew();
    document.addEventListener("pv:refreshed", drawNew);
    let timer = null;
    if (window.PV.feed) {
      window.PV.feed.addEventListener("alert", () => {
        clearTimeout(timer);
        timer = setTimeout(() => document.querySelectorAll('[data-chart="volume"]').forEach(drawVolume), 2000);
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
