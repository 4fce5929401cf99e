// The script editor: the text's variables, spoken length and warnings as it is typed, and
// "Hear it". The names show at once; the server's reading (the real list, the length, what
// is wrong) follows a moment after the last keystroke, and it is what a save keeps.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("script-editor");
  if (!form) return;
  const text = form.elements.text;
  const language = form.elements.language;
  const token = form.elements.csrfmiddlewaretoken.value;
  const variables = document.getElementById("variables");
  const seconds = document.getElementById("seconds");
  const problem = document.getElementById("problem");
  const warnings = document.getElementById("warnings");
  const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

  function showVariables(names) {
    variables.replaceChildren();
    if (!names.length) {
      const none = document.createElement("span");
      none.className = "quiet";
      none.textContent = "none";
      variables.append(none);
    }
    for (const name of names) {
      const code = document.createElement("code");
      code.textContent = `{{${name}}}`;
      variables.append(code, " ");
    }
  }

  function body() {
    const data = new FormData();
    data.set("csrfmiddlewaretoken", token);
    data.set("text", text.value);
    data.set("language", language.value);
    return data;
  }

  let timer = null;
  let asked = 0;
  async function check() {
    const mine = ++asked;
    let answer;
    try {
      const response = await fetch(form.dataset.checkUrl, { method: "POST", body: body() });
      if (!response.ok) return;
      answer = await response.json();
    } catch {
      return;
    }
    if (mine !== asked) return; // a later keystroke's answer is on its way
    showVariables(answer.variables);
    seconds.textContent = `≈ ${Math.round(answer.seconds)} s`;
    problem.textContent = answer.problem;
    problem.hidden = !answer.problem;
    warnings.replaceChildren(...answer.warnings.map((said) => {
      const item = document.createElement("li");
      item.textContent = said;
      return item;
    }));
    warnings.hidden = !answer.warnings.length;
  }

  function changed() {
    showVariables([...new Set([...text.value.matchAll(VARIABLE)].map((m) => m[1]))]);
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  text.addEventListener("input", changed);
  language.addEventListener("change", changed);

  const hear = document.getElementById("hear-it");
  if (!hear) return;
  const player = document.getElementById("hear-audio");
  const status = document.getElementById("hear-status");
  hear.addEventListener("click", async () => {
    const data = body();
    data.set("voice", document.getElementById("hear-voice").value);
    status.textContent = "Reading it aloud…";
    hear.disabled = true;
    try {
      const response = await fetch(form.dataset.previewUrl, { method: "POST", body: data });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok) {
        status.textContent = type.startsWith("text/plain")
          ? await response.text()
          : "The preview could not be made; reload the page and try again.";
        return;
      }
      if (player.src) URL.revokeObjectURL(player.src);
      player.src = URL.createObjectURL(await response.blob());
      player.hidden = false;
      status.textContent = "";
      player.play().catch(() => {});
    } catch {
      status.textContent = "The preview could not be fetched: check the connection.";
    } finally {
      hear.disabled = false;
    }
  });
});
