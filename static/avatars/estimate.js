// The render request page: show what the render will cost as the person picks its inputs.
document.addEventListener("DOMContentLoaded", () => {
  const pricing = JSON.parse(document.getElementById("pricing").textContent);
  const form = document.getElementById("render-request");
  const out = document.getElementById("estimate");
  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  // "The team's preferred provider" is the team's own choice, which the page was told.
  const teams = Object.keys(pricing.preferred);
  const provider = () =>
    value("provider") || pricing.preferred[value("team") || (teams.length === 1 ? teams[0] : "")];

  function update() {
    const clip = value("audio_clip");
    const script = value("script");
    // An earlier revision of the script, when one is chosen, is as long as its own text.
    const revision = pricing.revisions && pricing.revisions[value("script_revision")];
    const seconds = clip ? pricing.clips[clip] : script ? (revision ?? pricing.scripts[script]) : null;
    const name = provider();
    const prices = pricing.prices[name];
    if (seconds == null || !prices) {
      out.textContent = "Pick a script or an audio clip to see what the render will cost.";
      return;
    }
    if (name in pricing.free) {
      out.textContent = `Free draft — $0.00: ${pricing.free[name]} renders it offline, ` +
        "holds nothing and counts against no budget.";
      return;
    }
    const perSecond = Number(prices[value("resolution")]);
    const cost = perSecond * seconds;
    const source = clip ? "the clip's" : "the script's estimated";
    out.textContent = `Estimated cost: about $${cost.toFixed(2)} (${seconds.toFixed(1)} s, ` +
      `${source} length, at $${perSecond} per second of ${value("resolution")}).`;
  }

  form.addEventListener("change", update);
  update();
});
