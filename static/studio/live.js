// Live status of the renders list: poll the jobs still in flight and update their rows, so
// nobody has to press refresh. (The job page has its own feed: job-status.js.)
document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("[data-status-url]");
  if (!table) return;
  const url = table.dataset.statusUrl;
  const pending = () => [...document.querySelectorAll("[data-job][data-final='0']")];

  async function tick() {
    const rows = pending();
    if (!rows.length) return;
    const ids = rows.map((row) => row.dataset.job).join(",");
    try {
      const answer = await fetch(`${url}?ids=${ids}`, { headers: { Accept: "application/json" } });
      const states = await answer.json();
      for (const row of rows) {
        const state = states[row.dataset.job];
        if (!state) continue;
        const bar = row.querySelector(".progress");
        if (bar) {
          bar.setAttribute("aria-valuenow", String(state.progress));
          bar.querySelector("span").style.width = `${state.progress}%`;
        }
        const label = row.querySelector(".label .badge");
        if (label) label.textContent = state.label;
        if (state.final) {
          row.dataset.final = "1";
          const progress = row.querySelector(".progress");
          if (progress) progress.remove();
          if (label) label.className = `badge badge-${state.status === "succeeded" ? "ok" : "bad"}`;
          if (state.error && label) label.title = state.error;
        }
      }
    } catch (error) {
      // A failed poll is retried on the next tick.
    }
    setTimeout(tick, 2000);
  }
  setTimeout(tick, 1500);
});
