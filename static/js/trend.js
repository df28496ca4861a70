/* Draws the per-criterion score trend from the JSON the page embeds with json_script
   (id "trend-data"); the table on the page holds the same figures. */
(function () {
  "use strict";

  window.addEventListener("DOMContentLoaded", function () {
    var canvas = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!canvas || !source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var colours = ["#2454d6", "#157347", "#b42318", "#9a6700", "#7a3db8", "#0e7490", "#be185d", "#4b5563"];
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (d, i) {
          var c = colours[i % colours.length];
          return { label: d.label, data: d.data, borderColor: c, backgroundColor: c, tension: 0.25, spanGaps: true, pointRadius: 3 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { min: data.scale[0], max: data.scale[1], ticks: { stepSize: 1 } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });
  });
})();
