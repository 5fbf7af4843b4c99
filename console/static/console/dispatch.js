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

  // A power target: target, planned, measured and baseline kW per 5-minute interval (our delivery data).
  const powerCanvas = document.getElementById("power-chart");
  const powerSeries = [
    ["target_kw", "target", VPP.colors.target],
    ["planned_kw", "planned", VPP.colors.planned],
    ["measured_kw", "measured", VPP.colors.measured],
    ["baseline_kw", "baseline", VPP.colors.baseline],
  ];
  const powerChart = powerCanvas && new Chart(powerCanvas, {
    type: "line",
    data: {
      datasets: powerSeries.map(([key, label, color]) => ({
        label, key, data: [], stepped: "before", pointRadius: 2, spanGaps: false,
        borderColor: color, backgroundColor: color, borderWidth: key === "measured_kw" ? 3 : 2,
        borderDash: { target_kw: [8, 4], baseline_kw: [3, 3] }[key],
      })),
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "kW" } } } },
  });

  function renderDelivery(d) {
    if (!powerChart || !d) return;
    // Each interval's mean power is drawn as a step over its 5 minutes: a point at its start holding its
    // value until the next, and one at the last interval's end.
    const start = Date.parse(d.window_start);
    const last = d.intervals[d.intervals.length - 1];
    powerChart.data.datasets.forEach((ds) => {
      ds.data = d.intervals.map((i) => ({ x: Date.parse(i.start), y: i[ds.key] }));
      if (last) ds.data.push({ x: Date.parse(last.end), y: last[ds.key] });
    });
    powerChart.options.scales.x = VPP.timeAxis(undefined, start, Date.parse(d.window_end));
    powerChart.update();
    powerCanvas.dataset.updates = String(Number(powerCanvas.dataset.updates || 0) + 1);
    powerCanvas.dataset.intervals = String(d.intervals.length);
    const s = d.summary;
    const pct = s.delivery_ratio === null ? "—" : `${(100 * s.delivery_ratio).toFixed(1)} %`;
    document.getElementById("delivery-energy").textContent = `${s.delivered_kwh} of ${s.target_kwh} kWh`;
    document.getElementById("delivery-ratio").textContent = pct;
    document.getElementById("delivery-ramp").textContent =
      s.ramp_minutes === null ? "not within 5 % yet" : `${s.ramp_minutes} min to within 5 %`;
    document.getElementById("delivery-plants").textContent =
      `${s.plants_confirmed} of ${s.plants} (accepted ${s.plants_accepted}, finished ${s.plants_finished})`;
    const o = d.outcome;
    let outcome = o.state.replace(/_/g, " ");
    if (o.state === "partially_delivered") outcome += `: ${o.shortfall_kw} kW short, ${o.plants_behind} plants behind`;
    document.getElementById("delivery-outcome").textContent = outcome;
    root.dataset.delivery = o.state;
  }

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
    renderDelivery(p.delivery);
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
        if (!stillChanging(p)) return; // finished: nothing will change any more
      }
    } catch (err) {
      console.warn("progress poll failed", err);
    }
    window.setTimeout(poll, pollMs);
  }

  // A power target's window can outlast its job (the vendors run the commands on): follow it to its end.
  const stillChanging = (p) => p.is_open || (p.delivery && p.delivery.outcome.state === "delivering");

  const initial = VPP.data("progress-data");
  render(initial);
  if (stillChanging(initial)) window.setTimeout(poll, pollMs);
});
