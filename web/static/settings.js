// Settings: copy a freshly minted secret to the clipboard.
"use strict";

(() => {
  const button = document.getElementById("copy");
  if (!button) return;
  button.addEventListener("click", async () => {
    const input = document.getElementById("minted-value");
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch (_) {
      button.textContent = "Select and copy";
    }
  });
})();
