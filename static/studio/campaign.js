// The campaign page's progress, counts and cost move by themselves while rows render.
(function () {
  const root = document.getElementById("campaign");
  if (!root || root.dataset.final === "1") return;
  const bar = document.getElementById("campaign-bar");
  const status = document.getElementById("campaign-status");
  const cost = document.getElementById("campaign-cost");
  let last = null;
  async function refresh() {
    try {
      const answer = await fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (!answer.ok) return;
      const now = await answer.json();
      bar.style.width = now.percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", now.percent);
      status.textContent = now.label;
      cost.textContent = "$" + Number(now.cost).toFixed(2);
      for (const el of root.querySelectorAll("[data-count]")) {
        const key = el.dataset.count;
        el.textContent = key === "in_flight" ? now.in_flight : (now.counts[key] || 0);
      }
      // A state change (finished, paused) changes the actions: show them.
      if (last !== null && last !== now.status) window.location.reload();
      last = now.status;
      if (now.status === "finished" || now.status === "canceled") return;
    } catch (e) { /* the next tick tries again */ }
    setTimeout(refresh, 2000);
  }
  setTimeout(refresh, 1500);
})();
