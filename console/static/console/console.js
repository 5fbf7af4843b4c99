/* The console's shared script: the viewer's time zone, time formatting and chart helpers (Chart.js). */
"use strict";

(function () {
  const body = document.body;
  const cookieName = body.dataset.tzCookie || "vpp_tz";
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  function readCookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : null;
  }

  // Server-rendered times use the zone this cookie names: tell the server the browser's zone, and show
  // this page again once if it was rendered in another one.
  if (readCookie(cookieName) !== zone) {
    document.cookie = `${cookieName}=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax`;
    if (readCookie(cookieName) === zone && body.dataset.tz !== zone) {
      window.location.reload();
    }
  }

  const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
    .map((s) => s * 1000);
  const formats = {};
  function formatter(tz, withDate, withSeconds) {
    const key = `${tz}|${withDate}|${withSeconds}`;
    if (!formats[key]) {
      const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz };
      if (withSeconds) options.second = "2-digit";
      if (withDate) Object.assign(options, { year: "numeric", month: "2-digit", day: "2-digit", timeZoneName: "short" });
      formats[key] = new Intl.DateTimeFormat("en-GB", options);
    }
    return formats[key];
  }

  const VPP = {
    zone: body.dataset.tz || "UTC",
    colors: {
      completed: "#2e8b57", with_vendor: "#3b7dd8", waiting: "#b8c2cc", ended_otherwise: "#d9534f",
      target: "#d9534f", planned: "#e0a020", measured: "#3b7dd8", baseline: "#8a8f98",
      power: "#3b7dd8", energy: "#e0a020", soc: "#2e8b57", pv: "#f0b400", load: "#8a63d2",
      states: { active: "#2e8b57", disabled: "#b8c2cc", removed: "#d9534f" },
    },
    /** "2026-12-02 14:05 CET" for an ISO time or epoch ms, in `tz` (default: the viewer's zone), as the
     * server writes its times. */
    formatTime(value, tz) {
      if (value === null || value === undefined || value === "") return "—";
      const parts = Object.fromEntries(
        formatter(tz || VPP.zone, true).formatToParts(new Date(value)).map((p) => [p.type, p.value]),
      );
      return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
    },
    /** A linear x axis of epoch milliseconds from `minMs` to `maxMs`, labelled in `tz` (no date adapter
     * needed): ticks at a round step (seconds to hours) that gives at most 8 of them. */
    timeAxis(tz, minMs, maxMs) {
      const span = Math.max(maxMs - minMs, 1000);
      const step = STEPS_MS.find((s) => span / s <= 8) || STEPS_MS[STEPS_MS.length - 1];
      const withSeconds = step < 60000;
      return {
        type: "linear",
        min: Math.floor(minMs / step) * step,
        max: Math.ceil(maxMs / step) * step,
        ticks: {
          stepSize: step,
          callback: (value) => formatter(tz || VPP.zone, false, withSeconds).format(new Date(value)),
        },
        title: { display: true, text: `time (${tz || VPP.zone})` },
      };
    },
    data(id) {
      const node = document.getElementById(id);
      return node ? JSON.parse(node.textContent) : null;
    },
    ready(fn) {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
      else fn();
    },
  };
  window.VPP = VPP;

  VPP.ready(() => {
    document.querySelectorAll("[data-local-time]").forEach((node) => {
      node.textContent = VPP.formatTime(node.dataset.localTime, node.dataset.tz);
    });
    if (window.Chart) {
      window.Chart.defaults.animation = false; // charts redraw on every poll: no animation to wait for
      window.Chart.defaults.maintainAspectRatio = false;
    }
  });
})();
