// The job page's live status: polls the job's status feed and updates the header badge, the
// panel, the progress bar and the timeline together from each answer, without a reload. It
// polls often while things change and less often while they do not, and stops once the job
// is final: then the page is loaded once more, for the player and the actions of a finished job.
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (!live || live.dataset.final === "1") return;
  const url = live.dataset.statusUrl;
  const timeline = document.getElementById("timeline");
  const badges = [document.getElementById("status-badge"), live.querySelector("[data-live='badge']")];
  const panel = live.querySelector("[data-live='panel']");
  const bar = live.querySelector("[role='progressbar']");
  const error = live.querySelector("[data-live='error']");
  const FIRST = 1000, LONGEST = 10000;
  let wait = FIRST;
  let status = null;

  function show(state) {
    for (const badge of badges) {
      if (!badge) continue;
      badge.textContent = state.label;
      badge.className = `badge badge-${state.kind}`;
      badge.title = state.error || state.label;
    }
    panel.textContent = state.panel;
    if (bar) {
      bar.setAttribute("aria-valuenow", String(state.percent));
      bar.setAttribute("aria-valuetext", state.value_text);
      bar.querySelector("span").style.width = `${state.percent}%`;
    }
    error.hidden = !state.error;
    error.querySelector("span").textContent = state.error;
    for (const event of state.events) {
      const item = document.createElement("li");
      const at = document.createElement("span");
      at.className = "quiet";
      at.textContent = event.at;
      const actor = document.createElement("strong");
      actor.textContent = event.actor;
      item.append(at, " ", actor);
      if (event.change) item.append(` · ${event.change}`);
      item.append(document.createElement("br"), event.message);
      timeline.append(item);
    }
    timeline.dataset.after = String(state.last_event);
  }

  async function tick() {
    let changed = false;
    try {
      const answer = await fetch(`${url}?after=${timeline.dataset.after}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!answer.ok) throw new Error(`status feed answered ${answer.status}`);
      const state = await answer.json();
      changed = state.status !== status || state.events.length > 0;
      status = state.status;
      show(state);
      if (state.final) {
        live.dataset.final = "1";
        window.location.reload();
        return;
      }
    } catch (failure) {
      // Tried again later, a little later each time.
    }
    wait = changed ? FIRST : Math.min(wait * 1.5, LONGEST);
    setTimeout(tick, wait);
  }
  setTimeout(tick, FIRST);
});
