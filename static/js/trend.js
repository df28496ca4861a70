/* Draws the score trend as small multiples: one line chart per rubric criterion, every chart on
   the same months and the same score scale, straight segments between months (a smoothed curve
   suggests values that were never measured). The figures come from the JSON the page embeds
   with json_script (id "trend-data"); the table on the page holds the same figures. */
(function () {
  "use strict";

  var COLOUR = "#2454d6";

  function draw(canvas, data) {
    var series = data.datasets[Number(canvas.getAttribute("data-series"))];
    if (!series) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{
          label: series.label, data: series.data, borderColor: COLOUR, backgroundColor: COLOUR,
          tension: 0, spanGaps: true, pointRadius: 3, borderWidth: 2
        }]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          y: { min: data.scale[0], max: data.scale[1], ticks: { stepSize: 1 } },
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 4 } }
        },
        plugins: { legend: { display: false } }
      }
    });
  }

  window.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("trend-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas.trend-chart").forEach(function (canvas) { draw(canvas, data); });
  });
})();
