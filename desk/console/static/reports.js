// The reports page's charts, drawn by Chart.js (vendor/chart.umd.min.js, served by the console)
// from the numbers in the page's <script type="application/json" id="report-charts"> block.
// Only numbers and labels are read; labels are drawn on the canvas as text, never as markup.
// Every chart has its table on the page: the charts are a convenience, the tables the record.
"use strict";

(function () {
  var GREY = "#c3cad3";
  var BLUE = "#3d68a8";
  var INK = "#1f2933";
  var charts = [];

  function readData() {
    var block = document.getElementById("report-charts");
    if (!block) {
      return null;
    }
    try {
      return JSON.parse(block.textContent);
    } catch (error) {
      return null;
    }
  }

  // Diagonal stripes: the part of a bar whose statuses are hidden, readable in black and white.
  function stripes() {
    var tile = document.createElement("canvas");
    tile.width = 8;
    tile.height = 8;
    var pen = tile.getContext("2d");
    pen.fillStyle = "#e4e8ed";
    pen.fillRect(0, 0, 8, 8);
    pen.strokeStyle = "#9aa5b1";
    pen.lineWidth = 1.5;
    pen.beginPath();
    pen.moveTo(0, 8);
    pen.lineTo(8, 0);
    pen.stroke();
    return pen.createPattern(tile, "repeat") || GREY;
  }

  function common(data, stacked) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: data.language,
      plugins: {
        legend: { display: stacked, position: "bottom", labels: { color: INK, boxWidth: 14 } },
        tooltip: { enabled: true }
      },
      scales: {
        x: { stacked: stacked, grid: { display: false }, ticks: { color: INK, autoSkip: false, maxRotation: 0 } },
        y: {
          stacked: stacked,
          beginAtZero: true,
          ticks: { color: INK, precision: 0 },
          title: { display: true, text: data.axis, color: INK }
        }
      }
    };
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof window.Chart !== "function") {
      return;
    }
    charts.push(new window.Chart(canvas, config));
  }

  function drawAll() {
    var data = readData();
    if (!data) {
      return;
    }
    draw("chart-received", {
      type: "bar",
      data: {
        labels: data.periods,
        datasets: [{ label: data.received.label, data: data.received.values, backgroundColor: BLUE }]
      },
      options: common(data, false)
    });
    var datasets = data.statuses.map(function (status) {
      return { label: status.label, data: status.values, backgroundColor: status.colour };
    });
    datasets.push({ label: data.rest.label, data: data.rest.values, backgroundColor: stripes() });
    draw("chart-status", {
      type: "bar",
      data: { labels: data.periods, datasets: datasets },
      options: common(data, true)
    });
  }

  // Paper is narrower than the screen: let the charts take the printed width, then come back.
  function resizeAll() {
    charts.forEach(function (chart) {
      chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll();
    var button = document.getElementById("print-button");
    if (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    }
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
  });
})();
