// "Hear the script": play the offline speech preview of the chosen script and voice.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("hear");
  const player = document.getElementById("hear-audio");
  const form = document.getElementById("render-request");
  if (!button) return;
  button.addEventListener("click", () => {
    const script = form.elements.script.value;
    if (!script) { button.textContent = "Pick a script first"; return; }
    const query = new URLSearchParams({ voice: form.elements.voice.value });
    if (form.elements.script_revision && form.elements.script_revision.value) {
      query.set("revision", form.elements.script_revision.value);
    }
    for (const line of form.elements.variables.value.split("\n")) {
      const [name, ...rest] = line.split("=");
      if (name.trim() && rest.length) query.set(name.trim(), rest.join("=").trim());
    }
    player.src = button.dataset.url.replace("/0/", `/${script}/`) + "?" + query;
    player.hidden = false;
    player.play();
  });
});
