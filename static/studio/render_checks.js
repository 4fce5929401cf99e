// The render request page: warn, as the person picks, of what the server warns of once the
// render is sent (RenderRequestForm.warnings): values for variables the script does not use,
// a voice that speaks another language than the script. The revision choice lists the
// revisions of the script the page was opened with, so it goes once another script is picked.
document.addEventListener("DOMContentLoaded", () => {
  const checks = JSON.parse(document.getElementById("checks").textContent);
  const form = document.getElementById("render-request");
  const out = document.getElementById("render-warnings");
  const revision = form.elements.script_revision;
  const revisionRow = revision ? revision.closest(".form-row") : null;
  const openedWith = form.elements.script.value;

  function given() {
    const names = [];
    for (const line of form.elements.variables.value.split("\n")) {
      const [name, ...rest] = line.split("=");
      const bare = name.trim().replace(/^[{}]+|[{}]+$/g, "").trim();
      if (bare && rest.length) names.push(bare);
    }
    return names;
  }

  function warnings() {
    const script = checks.scripts[form.elements.script.value];
    if (!script || form.elements.audio_clip.value) return [];
    const chosen = revision && revision.value ? checks.revisions[revision.value] : null;
    const { variables, language } = chosen || script;
    const found = given()
      .filter((name) => !variables.includes(name))
      .map((name) => `“${name}” is not a variable of “${script.title}”, so its value is not used.`);
    const voice = checks.voices[form.elements.voice.value];
    if (voice && voice.language !== language) {
      const said = checks.languages[language] || language;
      const spoken = checks.languages[voice.language] || voice.language;
      found.push(`The script is in ${said} but the voice “${voice.name}” speaks ${spoken}. ` +
        `Pick a voice that speaks ${said}, or change the script's language.`);
    }
    return found;
  }

  function update() {
    if (revisionRow) {
      const same = form.elements.script.value === openedWith;
      revisionRow.hidden = !same;
      if (!same) revision.value = "";
    }
    const found = warnings();
    out.replaceChildren(...found.map((said) => {
      const item = document.createElement("li");
      item.textContent = said;
      return item;
    }));
    out.hidden = !found.length;
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
});
