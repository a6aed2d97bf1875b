// ctxload monitor: live charts under the Monitor tab's table and an alerts timeline under the Alerts tab's.
// Data: GET ctxload/monitor/charts every 2 s (monitors/charts.py); drawing: Plotly, loaded once from
// ctxload/plotly.min.js (the installed plotly package's own build). Locust's extended tabs show tables only,
// so the charts live in a box put above the tab's table, shown while one of those two tabs is open.
(function () {
  const base = document.currentScript.src.replace(/\/ctxload\/static\/monitor_charts\.js.*$/, "");
  const SEVERITY_COLOURS = { critical: "rgba(211, 47, 47, 0.15)", warning: "rgba(245, 124, 0, 0.15)" };
  const BAR_COLOURS = { critical: "#d32f2f", warning: "#f57c00" };
  const box = document.createElement("div");
  box.id = "ctxload-charts";
  box.style.cssText = "padding: 8px 0 16px; display: none; font-family: Roboto, Helvetica, Arial, sans-serif";
  document.body.appendChild(box);

  // Above the tab's table: put before the table's container (React keeps its own nodes in order around a
  // foreign one, and drops it with the tab: it is put back at the next check).
  function place() {
    const table = document.querySelector("table");
    const anchor = table && (table.closest(".MuiTableContainer-root, .MuiPaper-root") || table);
    if (anchor && anchor.parentNode && box.nextSibling !== anchor) anchor.parentNode.insertBefore(box, anchor);
    else if (!anchor && !box.isConnected) document.body.appendChild(box);
  }
  let plotly = null;
  let busy = false;

  function tab() {
    return new URLSearchParams(window.location.search).get("tab");
  }

  function loadPlotly() {
    if (!plotly) {
      plotly = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = base + "/ctxload/plotly.min.js";
        script.onload = () => resolve(window.Plotly);
        script.onerror = () => reject(new Error("plotly.min.js did not load"));
        document.head.appendChild(script);
      });
    }
    return plotly;
  }

  function element(id, tag, parent, style) {
    let node = document.getElementById(id);
    if (!node) {
      node = document.createElement(tag || "div");
      node.id = id;
      if (style) node.style.cssText = style;
      (parent || box).appendChild(node);
    }
    return node;
  }

  // Alert periods as shaded bands over every chart: from the start to the resolution (or now).
  function alertBands(data) {
    return data.alerts.map((alert) => ({
      type: "rect", xref: "x", yref: "paper", y0: 0, y1: 1, line: { width: 0 }, layer: "below",
      x0: alert.started, x1: alert.resolved_at || data.now,
      fillcolor: SEVERITY_COLOURS[alert.peak_severity] || SEVERITY_COLOURS.warning,
    }));
  }

  function drawMonitor(Plotly, data) {
    const monitorBox = element("ctxload-monitor-charts", "div");
    element("ctxload-alerts-timeline", "div").style.display = "none";
    monitorBox.style.display = "";
    const verdict = element("ctxload-verdict", "h3", monitorBox, "margin: 8px 0");
    verdict.textContent = "Verdict so far: " + data.verdict + " (shaded: alert periods, red critical, orange warning)";
    verdict.style.color = data.verdict === "pass" ? "#2e7d32" : "#d32f2f";
    const grid = element("ctxload-chart-grid", "div", monitorBox,
      "display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 12px");
    for (const chart of data.charts) {
      const node = element("ctxload-chart-" + chart.key, "div", grid, "height: 300px");
      const traces = chart.traces.map((trace) => ({
        name: trace.name, x: trace.x, y: trace.y, type: "scatter", mode: "lines", connectgaps: false,
        yaxis: trace.axis, line: { width: 1.5, dash: trace.dash || "solid" },
      }));
      const layout = {
        title: { text: chart.title, font: { size: 14 } }, margin: { l: 56, r: chart.right_unit ? 56 : 16, t: 36, b: 40 },
        xaxis: { type: "date", title: { text: "time" } },
        yaxis: { title: { text: chart.unit }, rangemode: "tozero" },
        legend: { orientation: "h", y: -0.25 }, shapes: alertBands(data), uirevision: chart.key,
      };
      if (chart.right_unit) {
        layout.yaxis2 = { title: { text: chart.right_unit }, overlaying: "y", side: "right", rangemode: "tozero" };
      }
      Plotly.react(node, traces, layout, { displaylogo: false, displayModeBar: "hover", responsive: true });
    }
  }

  function drawAlerts(Plotly, data) {
    element("ctxload-monitor-charts", "div").style.display = "none";
    const node = element("ctxload-alerts-timeline", "div");
    node.style.display = "";
    node.style.height = Math.max(220, 90 + 28 * data.alerts.length) + "px";
    const label = (alert) => "#" + alert.id + " " + alert.rule;
    const bars = ["critical", "warning"].map((severity) => {
      const alerts = data.alerts.filter((alert) => (alert.peak_severity || "warning") === severity);
      return {
        name: severity, type: "bar", orientation: "h", marker: { color: BAR_COLOURS[severity] },
        y: alerts.map(label), base: alerts.map((alert) => alert.started),
        x: alerts.map((alert) => (alert.resolved_at || data.now) - alert.started),
        text: alerts.map((alert) => alert.state), textposition: "inside",
        hovertext: alerts.map((alert) => alert.message), hoverinfo: "text",
      };
    });
    const acknowledged = data.alerts.filter((alert) => alert.acknowledged_at);
    bars.push({
      name: "acknowledged", type: "scatter", mode: "markers", marker: { symbol: "diamond", size: 11, color: "#1976d2" },
      x: acknowledged.map((alert) => alert.acknowledged_at), y: acknowledged.map(label),
    });
    Plotly.react(node, bars, {
      title: { text: "Alerts over time: firing until resolved (or now); diamonds: acknowledged", font: { size: 14 } },
      barmode: "overlay", xaxis: { type: "date", title: { text: "time" } },
      yaxis: { autorange: "reversed", type: "category" }, margin: { l: 160, r: 16, t: 36, b: 40 },
      legend: { orientation: "h", y: -0.3 }, uirevision: "alerts",
    }, { displaylogo: false, displayModeBar: "hover", responsive: true });
  }

  async function refresh() {
    const which = tab();
    const shown = which === "ctxload-monitor" || which === "ctxload-alerts";
    box.style.display = shown ? "" : "none";
    if (shown) place();
    if (!shown || busy) return;
    busy = true;
    try {
      const reply = await fetch(base + "/ctxload/monitor/charts?minutes=30", { credentials: "same-origin" });
      if (!reply.ok) return;
      const [data, Plotly] = await Promise.all([reply.json(), loadPlotly()]);
      if (tab() === "ctxload-monitor") drawMonitor(Plotly, data);
      else if (tab() === "ctxload-alerts") drawAlerts(Plotly, data);
    } finally {
      busy = false;
    }
  }

  // Data every 2 s; a tab change (Locust's tabs change the URL, not the page) is followed within 0.25 s.
  let lastTab = tab();
  window.setInterval(refresh, 2000);
  window.setInterval(() => {
    if (tab() !== lastTab) {
      lastTab = tab();
      refresh();
    } else if (box.style.display !== "none") {
      place();
    }
  }, 250);
  refresh();
})();
