// "Copy link" buttons: hidden until this runs, since the field beside them can be copied by hand.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector("[role=status]");
  button.hidden = false;
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      // No clipboard API outside secure contexts: copy the selected field the old way.
      field.select();
      copied = document.execCommand("copy");
    }
    status.textContent = copied ? "Copied." : "Select the link and copy it.";
  });
});
