// The campaign page's progress, counts and cost move by themselves while rows render.
(function () {
  const root = document.getElementById("campaign");
  if (!root || root.dataset.final === "1") return;
  const bar = document.getElementById("campaign-bar");
  const percent = document.getElementById("campaign-percent");
  const status = document.getElementById("campaign-status");
  const cost = document.getElementById("campaign-cost");
  const held = document.getElementById("campaign-held");
  // As the page was rendered: a change since then, even before the first poll, is seen.
  let last = { status: root.dataset.status, in_flight: Number(root.dataset.inFlight) };
  async function refresh() {
    try {
      const answer = await fetch(root.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (!answer.ok) throw new Error(answer.status);
      const now = await answer.json();
      bar.style.width = now.percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", now.percent);
      percent.textContent = now.percent + " %";
      status.textContent = now.label;
      cost.textContent = "$" + Number(now.cost).toFixed(2);
      held.textContent = "$" + Number(now.held).toFixed(2);
      for (const el of root.querySelectorAll("[data-count]")) {
        const key = el.dataset.count;
        el.textContent = key === "in_flight" ? now.in_flight : (now.counts[key] || 0);
      }
      // A new state (finished, paused) or the last render ending (a sample to approve)
      // changes what may be done next: show it.
      if (last.status !== now.status || (last.in_flight > 0 && now.in_flight === 0)) {
        window.location.reload();
        return;
      }
      last = now;
      if (now.status === "finished" || now.status === "canceled") return;
    } catch (e) { /* the next tick tries again */ }
    setTimeout(refresh, 2000);
  }
  setTimeout(refresh, 1500);
})();
