/* Fleet overview: plants by vendor and state, SOC distribution, fleet power and energy over 24 h. */
"use strict";

VPP.ready(() => {
  const data = VPP.data("chart-data");
  const overview = data.overview;

  new Chart(document.getElementById("plants-chart"), {
    type: "bar",
    data: {
      labels: overview.rows.map((r) => r.vendor),
      datasets: overview.states.map((state, i) => ({
        label: state,
        data: overview.rows.map((r) => r.counts[i]),
        backgroundColor: VPP.colors.states[state] || "#999",
      })),
    },
    options: {
      indexAxis: "y",
      scales: { x: { stacked: true, ticks: { precision: 0 }, title: { display: true, text: "plants" } }, y: { stacked: true } },
    },
  });

  new Chart(document.getElementById("soc-chart"), {
    type: "bar",
    data: {
      labels: overview.soc_bins.map((b) => b.label),
      datasets: [{ label: "plants", data: overview.soc_bins.map((b) => b.count), backgroundColor: VPP.colors.soc }],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "plants" } } },
    },
  });

  const points = data.power.map((p) => ({ t: Date.parse(p.t), power: p.power_kw, energy: p.energy_kwh }));
  new Chart(document.getElementById("power-chart"), {
    type: "line",
    data: {
      datasets: [
        { label: "battery power (kW)", data: points.map((p) => ({ x: p.t, y: p.power })), borderColor: VPP.colors.power, yAxisID: "power", pointRadius: 0 },
        { label: "energy available (kWh)", data: points.map((p) => ({ x: p.t, y: p.energy })), borderColor: VPP.colors.energy, yAxisID: "energy", pointRadius: 0 },
      ],
    },
    options: {
      parsing: true,
      scales: {
        x: VPP.timeAxis(undefined, Date.parse(data.since), Date.parse(data.until)),
        power: { position: "left", title: { display: true, text: "kW" } },
        energy: { position: "right", title: { display: true, text: "kWh" }, grid: { drawOnChartArea: false } },
      },
    },
  });
});
