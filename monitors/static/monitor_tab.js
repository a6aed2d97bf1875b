// ctxload monitor: actions in Locust's extended tabs, which show text only.
// "acknowledge" (Alerts tab) and "edit" (Thresholds tab) cells call the monitor's JSON routes.
(function () {
  const base = document.currentScript.src.replace(/\/ctxload\/static\/monitor_tab\.js.*$/, "");
  const ACTIONS = new Set(["acknowledge", "edit"]);

  function currentTab() {
    return new URLSearchParams(window.location.search).get("tab");
  }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    const reply = await response.json().catch(() => ({}));
    if (!response.ok) window.alert(reply.error || "HTTP " + response.status);
    return response.ok;
  }

  // A level typed into a prompt: undefined = cancelled (leave it), null = none, NaN = not a number.
  function level(text) {
    if (text === null) return undefined;
    const trimmed = text.trim();
    if (trimmed === "" || trimmed === "n/a") return null;
    return Number(trimmed);
  }

  document.addEventListener("click", async (event) => {
    const cell = event.target.closest("td");
    if (!cell || !ACTIONS.has(cell.textContent.trim())) return;
    const cells = Array.from(cell.closest("tr").cells).map((c) => c.textContent.trim());
    if (currentTab() === "ctxload-alerts" && cells[cells.length - 1] === "acknowledge") {
      await post("/ctxload/alerts/" + encodeURIComponent(cells[0]) + "/acknowledge"); // the next poll shows it
    } else if (currentTab() === "ctxload-thresholds") {
      const [rule, , , , warning, critical] = cells;
      const body = {};
      const newWarning = level(window.prompt("Warning level of " + rule + " (empty: none)", warning));
      if (newWarning !== undefined) body.warning = newWarning;
      const newCritical = level(window.prompt("Critical level of " + rule + " (empty: none)", critical));
      if (newCritical !== undefined) body.critical = newCritical;
      const bad = Object.entries(body).find(([, value]) => Number.isNaN(value));
      if (bad) window.alert(bad[0] + " level must be a number; nothing changed");
      else if (Object.keys(body).length) await post("/ctxload/rules/" + encodeURIComponent(rule), body);
    }
  });

  // Show the action cells as links; React reuses cells for other rows, so keep re-marking them.
  new MutationObserver(() => {
    for (const cell of document.querySelectorAll("td")) {
      const action = ACTIONS.has(cell.textContent.trim());
      cell.style.cursor = action ? "pointer" : "";
      cell.style.textDecoration = action ? "underline" : "";
      cell.style.color = action ? "#1976d2" : "";
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
})();
