"""The monitor in Locust's web UI: three extended tabs, a JSON route, acknowledge and edit in place.

``monitors.register`` installs it on Locust's own web app (so ``--web-login`` protects it too):

* tabs **Monitor** (live figures, per worker), **Alerts** and **Thresholds**: Locust's extended
  tabs, fed through its ``/stats/requests`` poll (every 2 s);
* ``GET  ctxload/monitor``                        status: snapshot, rules, alerts, verdict so far
* ``GET  ctxload/monitor/history?minutes=5``      the snapshots of the last N minutes
* ``GET  ctxload/monitor/charts?minutes=30``      the charts' series, alert periods, verdict (``monitors.charts``)
* ``POST ctxload/alerts/<id>/acknowledge``        firing -> acknowledged
* ``POST ctxload/rules/<name>`` ``{"warning": 80, "critical": 95}``   change a rule's levels

Locust's extended tables only show text, and it has no hook for actions; so a small script
(``static/monitor_tab.js``), added to its page here, turns the ``acknowledge`` and ``edit`` cells
of those tabs into actions on the JSON routes above, and ``static/monitor_charts.js`` draws live charts
(Plotly, served from the installed ``plotly`` package) under the Monitor tab's table and an alerts timeline
under the Alerts tab's.
"""

import importlib.util
import json
import logging
import time
from pathlib import Path

from flask import Blueprint, jsonify, request, send_file

from monitors.charts import chart_data
from monitors.metrics import METRICS
from monitors.snapshot import GENERATOR_FIELDS, live_generators, metric_value

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SCRIPT_TAGS = (
    '<script src="{base}/ctxload/static/monitor_tab.js"></script>',
    '<script src="{base}/ctxload/static/monitor_charts.js"></script></body>',
)
PLOTLY_JS = Path(importlib.util.find_spec("plotly").submodule_search_locations[0]) / "package_data" / "plotly.min.js"
TABS = [
    {"title": "Monitor", "key": "ctxload-monitor"},
    {"title": "Alerts", "key": "ctxload-alerts"},
    {"title": "Thresholds", "key": "ctxload-thresholds"},
]


def _table(key: str, columns: list[tuple[str, str]]) -> dict:
    return {"key": key, "structure": [{"key": column, "title": title} for column, title in columns]}


TABLES = [
    _table("ctxload-monitor", [("figure", "Figure"), ("value", "Value")]),
    _table(
        "ctxload-alerts",
        [
            ("id", "Id"),
            ("rule", "Rule"),
            ("severity", "Severity"),
            ("state", "State"),
            ("value", "Value"),
            ("threshold", "Threshold"),
            ("message", "Message"),
            ("started", "Started"),
            ("action", "Action"),
        ],
    ),
    _table(
        "ctxload-thresholds",
        [
            ("rule", "Rule"),
            ("metric", "Metric"),
            ("endpoint", "Endpoint"),
            ("direction", "Direction"),
            ("warning", "Warning"),
            ("critical", "Critical"),
            ("sustained", "Sustained for (s)"),
            ("abort", "Abort"),
            ("current", "Current"),
            ("action", "Action"),
        ],
    ),
]


def _text(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}" if isinstance(value, float) else str(value)


def monitor_rows(run, status: dict) -> list[dict]:
    snapshot = status["snapshot"]
    rows = [
        {"figure": "verdict so far", "value": "critical held" if status["critical_held"] else "pass"},
        {"figure": "aborted", "value": status["aborted"] or "no"},
        {"figure": "generator", "value": status["saturation"]},
    ]
    if snapshot is None:
        return rows
    for metric, info in METRICS.items():  # in words first; the metric's name is what threshold rules use
        value = metric_value(snapshot, metric)
        unit = f" {info.unit}" if info.unit and info.unit != "count" and value is not None else ""
        label = info.description[0].upper() + info.description[1:]
        rows.append({"figure": f"{label} [{metric}]", "value": _text(value) + unit})
    for name, generator in snapshot["generators"].items():
        process = generator.get("process") or {}
        state = "STOPPED REPORTING" if generator.get("missing") else "reporting"
        figures = ", ".join(f"{field} {_text(process.get(field))}" for field in GENERATOR_FIELDS.values())
        rows.append(
            {"figure": f"generator {name}", "value": f"{state}; {figures}; WS {_text(generator.get('ws_sessions'))}"}
        )
    totals = snapshot["generators_total"]
    rows.append(
        {
            "figure": f"generators total ({len(live_generators(snapshot))} reporting)",
            "value": ", ".join(f"{field} {_text(value)}" for field, value in totals.items()),
        }
    )
    return rows


def alert_rows(status: dict) -> list[dict]:
    return [
        {
            **{key: _text(alert[key]) for key in ("id", "rule", "severity", "state", "value", "threshold", "message")},
            "started": time.strftime("%H:%M:%S", time.localtime(alert["started"])),
            "action": "acknowledge" if alert["state"] == "firing" else "",
        }
        for alert in status["alerts"]
    ]


def threshold_rows(run) -> list[dict]:
    snapshot = run.monitor.history.latest
    current = run.monitor.rule_values(snapshot) if snapshot else {}
    return [
        {
            "rule": rule.name,
            "metric": rule.metric,
            "endpoint": rule.endpoint or "",
            "direction": rule.direction,
            "warning": _text(rule.warning),
            "critical": _text(rule.critical),
            "sustained": _text(rule.sustained_for),
            "abort": "yes" if rule.abort or run.settings.abort_on_critical else "no",
            "current": _text(current.get(rule.name)),
            "action": "edit",
        }
        for rule in run.monitor.rules.values()
    ]


def install(web_ui, run) -> None:
    web_ui.template_args["extended_tabs"] = TABS
    web_ui.template_args["extended_tables"] = TABLES
    base = (getattr(run.environment.parsed_options, "web_base_path", None) or "").rstrip("/")
    blueprint = Blueprint("ctxload", __name__, static_folder=str(STATIC), static_url_path="/ctxload/static")
    guard = web_ui.auth_required_if_enabled

    @blueprint.route("/ctxload/monitor")
    @guard
    def status():
        return jsonify({**run.monitor.status(), "verdict": run.verdict()})

    @blueprint.route("/ctxload/monitor/history")
    @guard
    def history():
        try:
            minutes = float(request.args.get("minutes", "")) if request.args.get("minutes") else None
        except ValueError:
            return jsonify({"error": f"minutes must be a number, got {request.args.get('minutes')!r}"}), 400
        return jsonify({"snapshots": run.monitor.history.last(minutes)})

    @blueprint.route("/ctxload/monitor/charts")
    @guard
    def charts():
        try:
            minutes = float(request.args.get("minutes", "30"))
        except ValueError:
            return jsonify({"error": f"minutes must be a number, got {request.args.get('minutes')!r}"}), 400
        status = run.monitor.status()
        verdict = "critical held (exit 3 if it still holds at the end)" if status["critical_held"] else "pass"
        return jsonify(chart_data(run.monitor.history.last(minutes), status, verdict))

    @blueprint.route("/ctxload/plotly.min.js")
    @guard
    def plotly():
        # Plotly's own build, from the installed ``plotly`` package (no copy in this repository; the Python
        # package is never imported). Locust's UI bundles ECharts, but inside its compiled app, not reachable.
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=3600)

    @blueprint.route("/ctxload/alerts/<int:alert_id>/acknowledge", methods=["POST"])
    @guard
    def acknowledge(alert_id: int):
        try:
            alert = run.monitor.acknowledge(alert_id)
        except KeyError:
            return jsonify({"error": f"no alert {alert_id}"}), 404
        except ValueError as exc:
            return jsonify({"error": str(exc)}), 409
        logger.info("monitor: alert %s acknowledged from the web UI", alert_id)
        return jsonify(alert.as_dict())

    @blueprint.route("/ctxload/rules/<path:name>", methods=["POST"])
    @guard
    def change_rule(name: str):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not set(body) or set(body) - {"warning", "critical"}:
            return jsonify({"error": 'expected a JSON object with "warning" and/or "critical"'}), 400
        try:
            rule = run.monitor.change_rule(name, **body)
        except KeyError:
            return jsonify({"error": f"no rule {name!r}"}), 404
        except ValueError as exc:
            return jsonify({"error": str(exc)}), 400
        logger.info(
            "monitor: rule %s changed from the web UI: warning %s, critical %s", name, rule.warning, rule.critical
        )
        return jsonify({"rule": rule.name, "warning": rule.warning, "critical": rule.critical})

    web_ui.app.register_blueprint(blueprint, url_prefix=base or None)

    @web_ui.app.after_request
    def extend(response):
        if request.endpoint == "locust.request_stats" and response.is_json:
            status = run.monitor.status()  # once per poll, for both tabs
            extended = [
                {"key": "ctxload-monitor", "data": monitor_rows(run, status)},
                {"key": "ctxload-alerts", "data": alert_rows(status)},
                {"key": "ctxload-thresholds", "data": threshold_rows(run)},
            ]
            response.set_data(json.dumps({**response.get_json(), "extended_stats": extended}))
        elif request.endpoint == "locust.index" and response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            response.set_data(page.replace("</body>", "".join(tag.format(base=base) for tag in SCRIPT_TAGS), 1))
        return response
