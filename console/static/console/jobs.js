/* Job tables (fleet overview, dispatch list): rows of running jobs follow their job by polling its
 * progress endpoint until it ends. */
"use strict";

VPP.ready(() => {
  const pollMs = 3000;

  function follow(row) {
    const url = row.dataset.progressUrl;
    async function poll() {
      try {
        const answer = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (answer.ok) {
          const p = await answer.json();
          const state = row.querySelector("[data-role=state]");
          state.textContent = p.state;
          state.className = `state state-${p.state}`;
          row.querySelector("progress").value = p.progress_pct;
          row.querySelector("[data-role=pct]").textContent = Math.round(p.progress_pct);
          row.dataset.updates = String(Number(row.dataset.updates || 0) + 1);
          row.dataset.state = p.state;
          if (!p.is_open) return;
        }
      } catch (err) {
        console.warn("progress poll failed", err);
      }
      window.setTimeout(poll, pollMs);
    }
    window.setTimeout(poll, pollMs);
  }

  document.querySelectorAll("tr[data-progress-url]").forEach(follow);
});
