/* Impact charts, drawn with the vendored Chart.js from data the page embeds with json_script.
   Every chart has a table alternative in the page; this file only draws. */
(function () {
  "use strict";

  var BRAND = "#2454d6";
  var BAND = "rgba(36, 84, 214, 0.15)";
  var MUTED = "#5b6474";
  var WARN = "#9a6700";
  var BAD = "#b42318";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function signed(value, unit) {
    if (value === null || value === undefined) return "—";
    var sign = value > 0 ? "+" : value < 0 ? "−" : "";
    var abs = Math.abs(value);
    if (unit === "currency") return sign + Math.round(abs).toLocaleString();
    return sign + abs.toLocaleString(undefined, { maximumFractionDigits: 1 });
  }

  // Vertical lines at (fractional) category positions, each with a short label.
  var markerPlugin = {
    id: "roiMarkers",
    afterDatasetsDraw: function (chart, _args, options) {
      var lines = (options && options.lines) || [];
      var x = chart.scales.x;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      lines.forEach(function (line) {
        if (line.at === null || line.at === undefined) return;
        var px = x.getPixelForValue(line.at);
        if (px < area.left || px > area.right) return;
        ctx.save();
        ctx.strokeStyle = line.color || MUTED;
        ctx.lineWidth = 1.5;
        if (line.dash) ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = line.color || MUTED;
        ctx.font = "12px system-ui, sans-serif";
        ctx.textAlign = px > area.right - 120 ? "right" : "left";
        ctx.fillText(line.label, px + (ctx.textAlign === "left" ? 4 : -4), area.top + 12 + (line.row || 0) * 14);
        ctx.restore();
      });
    },
  };

  function common(xTitle, yTitle) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { title: { display: !!xTitle, text: xTitle }, grid: { display: false } },
        y: { title: { display: !!yTitle, text: yTitle } },
      },
      plugins: { legend: { position: "bottom" } },
    };
  }

  function eventStudy(canvas, d) {
    var labels = d.labels;
    var zero = labels.indexOf(0);
    var options = common(d.text.x, d.text.effect);
    options.plugins.roiMarkers = {
      lines: [
        { at: zero < 0 ? null : zero - 0.5, label: d.text.training, color: MUTED },
        { at: d.cycle && zero >= 0 ? zero + d.cycle : null, label: d.text.cycle, color: WARN, dash: true, row: 1 },
      ],
    };
    options.plugins.tooltip = {
      callbacks: {
        label: function (item) { return item.dataset.label + ": " + signed(item.raw, d.unit); },
      },
    };
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: d.text.band, data: d.high, borderWidth: 0, pointRadius: 0, fill: "+1", backgroundColor: BAND },
          { label: d.text.band + " ", data: d.low, borderWidth: 0, pointRadius: 0, fill: false },
          { label: d.text.effect, data: d.att, borderColor: BRAND, backgroundColor: BRAND, pointRadius: 3, tension: 0 },
        ],
      },
      options: Object.assign(options, {
        plugins: Object.assign(options.plugins, {
          legend: {
            position: "bottom",
            labels: { filter: function (item) { return item.datasetIndex !== 1; } },
          },
        }),
      }),
      plugins: [markerPlugin],
    });
  }

  function roi(canvas, d) {
    var labels = d.bins.map(function (b) { return Math.round((b[0] + b[1]) / 2).toLocaleString() + "%"; });
    var breakEven = null;
    if (d.bins.length) {
      var low = d.bins[0][0];
      var width = d.bins[0][1] - d.bins[0][0];
      var position = (0 - low) / width - 0.5;
      if (position >= -0.5 && position <= d.bins.length - 0.5) breakEven = position;
    }
    var options = common(d.text.x, d.text.draws);
    options.plugins.legend = { display: false };
    options.plugins.roiMarkers = { lines: [{ at: breakEven, label: d.text.break_even, color: BAD, dash: true }] };
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{
          label: d.text.draws,
          data: d.counts,
          backgroundColor: d.bins.map(function (b) { return b[1] <= 0 ? "rgba(180, 35, 24, 0.55)" : "rgba(36, 84, 214, 0.7)"; }),
          categoryPercentage: 1.0,
          barPercentage: 0.95,
        }],
      },
      options: options,
      plugins: [markerPlugin],
    });
  }

  function bookings(canvas, d) {
    var options = common("", d.text.bookings);
    options.plugins.legend = { display: false };
    options.plugins.roiMarkers = {
      lines: d.markers.map(function (month, i) {
        return { at: d.labels.indexOf(month), label: d.text.training, color: WARN, dash: true, row: i % 3 };
      }),
    };
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: d.text.bookings, data: d.values, backgroundColor: "rgba(36, 84, 214, 0.7)" }] },
      options: options,
      plugins: [markerPlugin],
    });
  }

  // Efficiency page: spend per rep-month (left axis) and three outcome shares (right axis).
  function efficiencyTrend(canvas, d) {
    var options = common("", d.text.spend);
    options.scales.y.beginAtZero = true;
    options.scales.share = {
      position: "right",
      min: 0,
      max: 100,
      title: { display: true, text: d.text.share },
      grid: { drawOnChartArea: false },
    };
    options.plugins.tooltip = {
      callbacks: {
        label: function (item) {
          if (item.raw === null || item.raw === undefined) return item.dataset.label + ": —";
          var digits = item.dataset.yAxisID === "share" ? 1 : 0;
          return item.dataset.label + ": " + item.raw.toLocaleString(undefined, { maximumFractionDigits: digits });
        },
      },
    };
    function line(key, color, axis, dash) {
      return {
        label: d.text[key], data: d[key], yAxisID: axis, borderColor: color, backgroundColor: color,
        borderDash: dash ? [6, 4] : [], pointRadius: 2, tension: 0, spanGaps: false,
      };
    }
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          line("tool_spend", MUTED, "y", false),
          line("enablement_spend", BRAND, "y", false),
          line("win_rate", WARN, "share", true),
          line("meeting_advance_rate", "#1a7f37", "share", true),
          line("slip_rate", BAD, "share", true),
        ],
      },
      options: options,
    });
  }

  var DRAW = { "event-study": eventStudy, roi: roi, bookings: bookings, "efficiency-trend": efficiencyTrend };

  function init() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var draw = DRAW[canvas.getAttribute("data-chart")];
      var d = data(canvas.getAttribute("data-source"));
      if (draw && d) draw(canvas, d);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
