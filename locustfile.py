"""ctxload's composition root: the traffic, its hooks, and the reference server when no host is given.

    locust --headless -u 200 -r 50 -t 1m                       # every HTTP user, embedded server
    locust --headless -u 200 -r 50 -t 1m --host http://127.0.0.1:8080
    locust --headless -u 50 -t 5m --tags write --shape step    # writers only, stepping up
    locust --headless -u 1 -t 30s --tags hostile --host URL    # the hostile-input probe (never by default)

It holds no logic of its own: traffic lives in ``traffic/``, what a run must prove in
``verification/``, the monitor and alerter in ``monitors/``, the hostile probe in ``hostile/``, the
embedded server's glue in ``ctxload/``. ``python -m ctxload options`` lists every ctxload option.
"""

from locust import events

import monitors
from ctxload import embedded_server, output_check, output_failures, report_options, worker_leash
from ctxload.baseline_gate import BaselineGate
from ctxload.end_report import EndReport
from ctxload.prometheus import PrometheusMetrics
from ctxload.report_options import ReportSettings
from hostile.probe import HostileProbe
from hostile.report import HostileReport
from traffic import hooks as traffic_hooks
from traffic.dumper import DumpUser
from traffic.large import LargePayloadUser
from traffic.mixed import MixedUser
from traffic.reader import ContextReader
from traffic.socketio_users import SocketIOSubscriber, SocketIOWriter
from traffic.writer import ContextWriter
from verification import hooks as verification_hooks

__all__ = [
    "ContextReader",
    "ContextWriter",
    "MixedUser",
    "DumpUser",
    "LargePayloadUser",
    "SocketIOSubscriber",
    "SocketIOWriter",
    "HostileProbe",
]

events.init.add_listener(output_failures.register)  # before the monitor: it sees every output's failure
events.init.add_listener(worker_leash.register)
events.init.add_listener(ReportSettings.check_on_init)  # --compare-baseline without --report: exit 2
events.init.add_listener(BaselineGate.register)  # before the monitor: its `quitting` comes last, after the audit
monitors.register(events)  # early: Locust fires `quitting` in reverse, so the verdict follows the write audit
traffic_hooks.register(events)
verification_hooks.register(events)
events.init.add_listener(HostileReport.register)
events.init.add_listener(PrometheusMetrics.register)  # GET /ctxload/metrics on the web UI
events.init.add_listener(EndReport.register)  # after the monitor and verification: its `quit` comes after theirs
events.init.add_listener(embedded_server.start_when_no_host)
events.init_command_line_parser.add_listener(ReportSettings.add_arguments)
events.init_command_line_parser.add_listener(report_options.install)  # --report's files, before they are checked
events.init_command_line_parser.add_listener(output_check.install)  # after every part has added its options
