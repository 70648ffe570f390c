// The lead's dashboard: draws each chart with the vendored Chart.js (static/vendor/chart.umd.min.js) from
// the JSON the page embeds in <script type="application/json" id="chart-data"> (one spec per chart, made by
// services/quality/chart_views.py). Specs are data only: labels and names go in as text, never as HTML.
// Types: bar (one or more series, optional right axis "y2"), line (a percent series with counts), interval
// (value points with 95 % interval bars), matrix (a confusion matrix as a heat map with counts in the cells).
// Tooltips are HTML elements (.chart-tip, role=tooltip) filled with textContent.
(function () {
  "use strict";
  var PALETTE = ["#3c71f7", "#e8590c", "#2f9e44", "#ae3ec9", "#1098ad", "#f59f00", "#c2255c", "#5c7cfa"];
  var GRID = "rgba(0,0,0,0.08)";
  var TEXT = "#373c44";

  function fmt(x, digits) {
    if (x === null || x === undefined) return "—";
    return Number.isInteger(x) ? String(x) : x.toFixed(digits === undefined ? 3 : digits);
  }

  function axis(title, extra) {
    var a = { title: { display: true, text: title, color: TEXT, font: { weight: "bold" } },
              grid: { color: GRID }, ticks: { color: TEXT } };
    return Object.assign(a, extra || {});
  }

  // One HTML tooltip per chart box, positioned over the canvas; lines are set with textContent.
  function externalTooltip(lines) {
    return function (context) {
      var chart = context.chart, model = context.tooltip;
      var box = chart.canvas.parentNode;
      var tip = box.querySelector(".chart-tip");
      if (!tip) {
        tip = document.createElement("div");
        tip.className = "chart-tip";
        tip.setAttribute("role", "tooltip");
        tip.hidden = true;
        box.appendChild(tip);
      }
      if (!model || model.opacity === 0 || !model.dataPoints || !model.dataPoints.length) {
        tip.hidden = true;
        return;
      }
      var text = lines(model.dataPoints);
      tip.textContent = "";
      text.forEach(function (line, i) {
        var el = document.createElement(i === 0 ? "strong" : "span");
        el.textContent = line;
        tip.appendChild(el);
        if (i > 0) tip.appendChild(document.createElement("br"));
      });
      tip.hidden = false;
      tip.style.left = model.caretX + "px";
      tip.style.top = model.caretY + "px";
    };
  }

  function tooltipOptions(lines, mode) {
    return { enabled: false, mode: mode || "index", intersect: false, external: externalTooltip(lines) };
  }

  function barChart(spec) {
    var hasY2 = spec.series.some(function (s) { return s.axis === "y2"; });
    var datasets = spec.series.map(function (s, i) {
      return { label: s.label, data: s.data, yAxisID: s.axis === "y2" ? "y2" : "y",
               backgroundColor: PALETTE[i % PALETTE.length], borderRadius: 2, maxBarThickness: 48 };
    });
    var scales = {
      x: axis(spec.x_label, { grid: { display: false }, ticks: { color: TEXT, autoSkip: true, maxRotation: 50 } }),
      y: axis(spec.y_label, { beginAtZero: true, ticks: { color: TEXT, precision: 0 } })
    };
    if (hasY2) scales.y2 = axis(spec.y2_label, { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } });
    return {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        plugins: {
          legend: { display: datasets.length > 1, labels: { color: TEXT } },
          tooltip: tooltipOptions(function (points) {
            return [points[0].label].concat(points.map(function (p) {
              return p.dataset.label + ": " + fmt(p.raw, 2);
            }));
          })
        },
        scales: scales
      }
    };
  }

  function lineChart(spec) {
    // Accuracy per day as a line (days without gold answers are gaps), gold answers per day as light bars
    // on the right axis.
    var s = spec.series[0];
    var data = s.data.map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; });
    return {
      type: "line",
      data: { labels: spec.labels, datasets: [
        { label: s.label, data: data, borderColor: PALETTE[2], backgroundColor: PALETTE[2], pointRadius: 4,
          pointHoverRadius: 6, spanGaps: false, tension: 0, order: 1, clip: 8 },
        { type: "bar", label: spec.y2_label, data: s.counts, yAxisID: "y2", backgroundColor: "rgba(60,113,247,0.18)",
          borderColor: "rgba(60,113,247,0.5)", borderWidth: 1, order: 2, maxBarThickness: 28 }] },
      options: {
        plugins: {
          legend: { labels: { color: TEXT } },
          tooltip: tooltipOptions(function (points) {
            var i = points[0].dataIndex;
            return [points[0].label, s.label + ": " + (data[i] === null ? "—" : data[i] + " %"),
                    spec.y2_label + ": " + s.counts[i]];
          })
        },
        scales: { x: axis(spec.x_label, { grid: { display: false } }),
                  y: axis(spec.y_label, { min: 0, max: 100, ticks: { color: TEXT, callback: function (v) { return v + " %"; } } }),
                  y2: axis(spec.y2_label, { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                                            ticks: { color: TEXT, precision: 0 } }) }
      }
    };
  }

  function intervalChart(spec) {
    // One floating bar per series and question (its 95 % interval) and, drawn on it, a marker at the value.
    var datasets = spec.series.map(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      return { label: s.label, data: s.ci.map(function (c) { return c[0] === null ? null : [c[0], c[1]]; }),
               backgroundColor: colour + "33", borderColor: colour, borderWidth: 1.5, borderSkipped: false,
               barPercentage: 0.45, categoryPercentage: 0.6, maxBarThickness: 56 };
    });
    var markers = {
      id: "valueMarkers",
      afterDatasetsDraw: function (chart) {
        var ctx = chart.ctx, y = chart.scales.y, x = chart.scales.x;
        ctx.save();
        spec.series.forEach(function (s, i) {
          var meta = chart.getDatasetMeta(i);
          if (meta.hidden) return;
          s.data.forEach(function (v, k) {
            if (v === null) return;
            var el = meta.data[k];
            var px = el && isFinite(el.x) ? el.x : x.getPixelForValue(k);
            var w = el && isFinite(el.width) ? el.width / 2 + 3 : 10;
            ctx.strokeStyle = PALETTE[i % PALETTE.length];
            ctx.lineWidth = 3;
            ctx.beginPath();
            ctx.moveTo(px - w, y.getPixelForValue(v));
            ctx.lineTo(px + w, y.getPixelForValue(v));
            ctx.stroke();
          });
        });
        ctx.restore();
      }
    };
    var lo = -0.2;
    spec.series.forEach(function (s) {
      s.ci.forEach(function (c) { if (c[0] !== null && c[0] < lo) lo = Math.floor(c[0] * 10) / 10; });
      s.data.forEach(function (v) { if (v !== null && v < lo) lo = Math.floor(v * 10) / 10; });
    });
    return {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      plugins: [markers],
      options: {
        plugins: {
          legend: { labels: { color: TEXT } },
          tooltip: tooltipOptions(function (points) {
            var i = points[0].dataIndex;
            var out = [points[0].label];
            spec.series.forEach(function (s) {
              var ci = s.ci[i];
              out.push(s.label + ": " + fmt(s.data[i]) + (ci[0] === null ? " (no interval)" :
                " (95 % " + fmt(ci[0]) + " to " + fmt(ci[1]) + ")"));
            });
            out.push("units with two or more answers: " + spec.series[0].counts[i]);
            return out;
          })
        },
        scales: { x: axis(spec.x_label, { grid: { display: false } }),
                  y: axis(spec.y_label, { min: lo, max: 1 }) }
      }
    };
  }

  function matrixChart(spec, box) {
    // A heat map: one scatter point per cell (for the tooltip), the cell itself filled across its row and
    // column bands by the plugin below, with the count written in it.
    var points = [], top = 0;
    spec.rows.forEach(function (r, i) {
      spec.cols.forEach(function (c, j) {
        var n = spec.cells[i][j];
        top = Math.max(top, n);
        points.push({ x: c, y: r, n: n });
      });
    });
    box.style.height = Math.max(220, 90 + 64 * spec.rows.length) + "px";
    box.style.maxWidth = Math.max(420, 160 + 150 * spec.cols.length) + "px";
    function shade(n) { return "rgba(60,113,247," + (0.06 + 0.94 * (top ? n / top : 0)).toFixed(3) + ")"; }
    function band(scale, count) { return (scale.right - scale.left || scale.bottom - scale.top) / count; }
    var cells = {
      id: "matrixCells",
      beforeDatasetsDraw: function (chart) {
        var ctx = chart.ctx, a = chart.chartArea, meta = chart.getDatasetMeta(0);
        var w = (a.right - a.left) / spec.cols.length, h = (a.bottom - a.top) / spec.rows.length;
        var active = chart.getActiveElements().map(function (x) { return x.index; });
        ctx.save();
        meta.data.forEach(function (el, k) {
          var n = points[k].n;
          ctx.fillStyle = shade(n);
          ctx.fillRect(el.x - w / 2 + 2, el.y - h / 2 + 2, w - 4, h - 4);
          if (active.indexOf(k) >= 0) {
            ctx.strokeStyle = "#1f2937";
            ctx.lineWidth = 2;
            ctx.strokeRect(el.x - w / 2 + 2, el.y - h / 2 + 2, w - 4, h - 4);
          }
          ctx.fillStyle = top && n / top > 0.5 ? "#fff" : TEXT;
          ctx.font = "bold 15px system-ui, sans-serif";
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          ctx.fillText(String(n), el.x, el.y);
        });
        ctx.restore();
      }
    };
    return {
      type: "scatter",
      data: { datasets: [{ label: "units", data: points, pointRadius: 0, pointHoverRadius: 0,
        pointHitRadius: function (ctx) {
          var s = ctx.chart.scales;
          return s.x && s.y ? Math.min(band(s.x, spec.cols.length), band(s.y, spec.rows.length)) / 2 : 10;
        } }] },
      plugins: [cells],
      options: {
        plugins: {
          legend: { display: false },
          tooltip: tooltipOptions(function (pts) {
            var p = points[pts[0].dataIndex];
            return [spec.y_label + " " + p.y + ", " + spec.x_label + " " + p.x, "units: " + p.n];
          }, "nearest")
        },
        scales: {
          x: axis(spec.x_label, { type: "category", labels: spec.cols, offset: true, position: "top", grid: { display: false } }),
          y: axis(spec.y_label, { type: "category", labels: spec.rows, offset: true, grid: { display: false } })
        }
      }
    };
  }

  function draw() {
    var holder = document.getElementById("chart-data");
    if (!holder || typeof window.Chart === "undefined") return;
    var specs = JSON.parse(holder.textContent);
    window.Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    window.Chart.defaults.maintainAspectRatio = false;
    window.Chart.defaults.animation = false;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[Number(canvas.getAttribute("data-chart"))];
      if (!spec) return;
      var box = canvas.parentNode, config;
      if (spec.type === "bar") config = barChart(spec);
      else if (spec.type === "line") config = lineChart(spec);
      else if (spec.type === "interval") config = intervalChart(spec);
      else if (spec.type === "matrix") config = matrixChart(spec, box);
      else return;
      var chart = new window.Chart(canvas, config);
      canvas.addEventListener("mouseleave", function () {
        var tip = box.querySelector(".chart-tip");
        if (tip) tip.hidden = true;
        chart.setActiveElements([]);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
