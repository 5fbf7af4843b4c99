/* A plant's telemetry over the last 24 h, in the plant's own time zone. */
"use strict";

VPP.ready(() => {
  const data = VPP.data("telemetry-data");
  const series = data.series;
  const canvas = document.getElementById("telemetry-chart");
  const tz = canvas.dataset.tz;
  const line = (key, label, color, axis) => ({
    label, borderColor: color, yAxisID: axis, pointRadius: 0,
    data: series.map((r) => ({ x: Date.parse(r.t), y: r[key] })),
  });
  new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        line("soc_pct", "SOC (%)", VPP.colors.soc, "soc"),
        line("battery_kw", "battery (kW)", VPP.colors.power, "kw"),
        line("pv_kw", "PV (kW)", VPP.colors.pv, "kw"),
        line("load_kw", "load (kW)", VPP.colors.load, "kw"),
      ],
    },
    options: {
      scales: {
        x: VPP.timeAxis(tz, Date.parse(data.since), Date.parse(data.until)),
        soc: { position: "right", min: 0, max: 100, title: { display: true, text: "%" }, grid: { drawOnChartArea: false } },
        kw: { position: "left", title: { display: true, text: "kW" } },
      },
    },
  });
});
