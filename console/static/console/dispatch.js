/* The live dispatch page: polls our progress endpoint while the job runs and redraws what it shows. */
"use strict";

VPP.ready(() => {
  const root = document.getElementById("dispatch");
  const url = root.dataset.progressUrl;
  const plantUrl = (id) => root.dataset.plantUrl.replace(/\/0\/$/, `/${id}/`);
  const pollMs = Number(root.dataset.pollMs) || 2000;
  const canvas = document.getElementById("timeline-chart");
  const series = ["completed", "with_vendor", "waiting", "ended_otherwise"];
  const labels = { completed: "completed", with_vendor: "with the vendor", waiting: "not sent yet", ended_otherwise: "failed / other end" };

  const chart = new Chart(canvas, {
    type: "line",
    data: {
      datasets: series.map((key, i) => ({
        label: labels[key], key, data: [], fill: i === 0 ? "origin" : "-1", pointRadius: 0,
        borderColor: VPP.colors[key], backgroundColor: VPP.colors[key] + "99",
      })),
    },
    options: { scales: { y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "tasks" } } } },
  });

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }

  function render(p) {
    const state = document.getElementById("job-state");
    state.textContent = p.state;
    state.className = `state state-${p.state}`;
    document.getElementById("job-progress").value = p.progress_pct;
    document.getElementById("job-progress-text").textContent = `${p.terminal} of ${p.total} tasks ended (${p.progress_pct} %)`;
    document.getElementById("job-eta").textContent = p.eta ? `${VPP.formatTime(p.eta)} (estimate)` : "—";
    document.getElementById("job-finished").textContent = VPP.formatTime(p.finished_at);
    document.getElementById("job-charged").textContent = `${p.charged_kwh ?? "—"} kWh`;
    document.getElementById("job-discharged").textContent = `${p.discharged_kwh ?? "—"} kWh`;
    document.getElementById("job-updated").textContent = VPP.formatTime(p.now);
    for (const [s, n] of Object.entries(p.counts)) {
      const node = document.querySelector(`#counts [data-state="${s}"]`);
      if (node) node.textContent = n;
    }
    const vendors = document.querySelector("#per-vendor tbody");
    vendors.replaceChildren(...Object.entries(p.per_vendor).map(([vendor, v]) => {
      const tr = document.createElement("tr");
      tr.dataset.vendor = vendor;
      const bar = document.createElement("progress");
      bar.max = v.total;
      bar.value = v.terminal;
      const td = document.createElement("td");
      td.append(bar, ` ${Math.round((100 * v.terminal) / Math.max(v.total, 1))} %`);
      tr.append(cell(vendor), cell(`${v.terminal} of ${v.total}`), td);
      return tr;
    }));
    document.getElementById("failure-count").textContent = `(${p.failure_count})`;
    const failures = document.querySelector("#failures tbody");
    failures.replaceChildren(...p.failures.map((f) => {
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = plantUrl(f.plant_id);
      link.textContent = f.plant;
      const first = document.createElement("td");
      first.append(link);
      tr.append(first, cell(f.vendor), cell(f.state), cell(f.vendor_code), cell(f.reason), cell(VPP.formatTime(f.finished_at)));
      return tr;
    }));
    chart.data.datasets.forEach((ds) => {
      ds.data = p.timeline.map((point) => ({ x: Date.parse(point.t), y: point[ds.key] }));
    });
    const times = p.timeline.map((point) => Date.parse(point.t));
    chart.options.scales.x = VPP.timeAxis(undefined, times[0], times[times.length - 1]);
    chart.update();
    canvas.dataset.updates = String(Number(canvas.dataset.updates || 0) + 1);
    canvas.dataset.points = String(p.timeline.length);
    root.dataset.state = p.state;
    const cancel = document.getElementById("cancel-form");
    if (cancel && !p.is_open) cancel.hidden = true; // nothing left to cancel
  }

  async function poll() {
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (answer.ok) {
        const p = await answer.json();
        render(p);
        if (!p.is_open) return; // finished: nothing will change any more
      }
    } catch (err) {
      console.warn("progress poll failed", err);
    }
    window.setTimeout(poll, pollMs);
  }

  const initial = VPP.data("progress-data");
  render(initial);
  if (initial.is_open) window.setTimeout(poll, pollMs);
});
