"""``python -m benchmarks.production_imitation``: a Context Server built as production is, with its behaviour.

Flask and python-socketio in threading mode on Werkzeug (as the contract, docs/api.md, describes production),
speaking the same API, and doing what production does that the reference server does not:

* it broadcasts ``context_updated`` to every subscriber *before* it answers the writer;
* it closes every connection (HTTP/1.0, no keep-alive);
* it writes dump files in place: open, write, close, in pieces ``--dump-write-delay`` seconds apart (a slow
  disk), so a download racing a dump of the same name can read a half-written file;
* it has no limits, and answers validation errors with Werkzeug's HTML pages.

It prints ``ctxload target listening on http://127.0.0.1:PORT`` when it serves (as ``python -m refserver``
does, so ``refserver.launcher`` and the tests can start it the same way)::

    python -m benchmarks.production_imitation --port 0 --dump-dir /tmp/dumps --dump-write-delay 0.05

Used by ``python -m benchmarks truth`` (push latency against a server that broadcasts first) and by the tests
that need production's races. It is not a server to run anything on.
"""

import argparse
import datetime
import json
import os
import threading
import time
from pathlib import Path

import socketio
from flask import Flask, abort, jsonify, request, send_from_directory
from werkzeug.serving import make_server

READY = "ctxload target listening on "
FORMATS = ("json", "pretty", "csv", "txt")


def now() -> str:
    return datetime.datetime.now().isoformat()


def create(dump_dir: Path, write_delay: float):
    app = Flask(__name__)
    sio = socketio.Server(async_mode="threading", max_http_buffer_size=1_000_000)
    store: dict = {}
    history: list[dict] = []
    clients: set[str] = set()
    lock = threading.Lock()

    def apply(data, who_default: str) -> dict | None:
        key, value = data.get("key"), data.get("value")
        if not key or value is None:
            return None
        who = data.get("who") or who_default
        with lock:
            before = store.get(key)
            store[key] = value
            if before != value:
                history.append({"timestamp": now(), "key": key, "before": before, "after": value, "who": who})
        return {"key": key, "value": value, "who": who, "timestamp": now()}

    @app.get("/ctx")
    def read_key():
        if not request.args.get("key"):
            abort(400)
        key = request.args["key"]
        return jsonify(key=key, value=store.get(key), timestamp=now(), status="success")

    @app.post("/ctx")
    def write_key():
        if not request.is_json:
            abort(400)
        data = request.get_json(silent=True)
        if data is None:
            abort(400)
        change = apply(data, "api_client")
        if change is None:
            abort(400)
        sio.emit("context_updated", change)  # before the answer, as production does
        return jsonify(status="success", **change)

    @app.get("/ctx/all")
    def read_all():
        return jsonify(context=store, history_count=len(history), connected_clients=len(clients), timestamp=now(),
                       status="success")  # fmt: skip

    @app.get("/ctx/history")
    def read_history():
        rows = [row for row in history if all(row[f] == request.args[f] for f in ("key", "who") if f in request.args)]
        return jsonify(history=rows, total_entries=len(history), filtered_entries=len(rows), timestamp=now(),
                       status="success")  # fmt: skip

    @app.post("/ctx/dump")
    def dump():
        data = request.get_json(silent=True) or {}
        fmt = str(data.get("format", "json")).lower()
        if fmt not in FORMATS:
            abort(400)
        name = data.get("filename") or f"context_dump_{datetime.datetime.now():%Y%m%d_%H%M%S}"
        name = name if name.endswith(f".{fmt}") else f"{name}.{fmt}"
        with lock:
            snapshot = dict(store)
        if fmt == "csv":
            text = "Key,Value,Type,Dump_Timestamp,Requested_By\n" + "".join(
                f"{k},{json.dumps(v)!r},{type(v).__name__},{now()},{data.get('who', 'api_client')}\n"
                for k, v in snapshot.items()
            )
        elif fmt == "txt":
            text = "".join(f"{k}={json.dumps(v)}\n" for k, v in snapshot.items())
        else:
            document = {"timestamp": now(), "format": fmt, "filename": name, "who": data.get("who", "api_client"),
                        "key_count": len(snapshot), "include_history": bool(data.get("include_history")),
                        "context": snapshot}  # fmt: skip
            text = json.dumps(document, indent=2 if fmt == "pretty" else None)
        path = dump_dir / name
        with open(path, "w") as handle:  # in place: a reader may see it half-written
            for start in range(0, len(text), 4096):
                handle.write(text[start : start + 4096])
                handle.flush()
                time.sleep(write_delay)
        sio.emit("context_dumped", {"filename": name, "format": fmt, "key_count": len(snapshot), "timestamp": now()})
        return jsonify(status="success", filename=name, format=fmt, path=str(path), key_count=len(snapshot),
                       file_size=path.stat().st_size, timestamp=now(), who=data.get("who", "api_client"))  # fmt: skip

    @app.get("/ctx/dump/list")
    def dump_list():
        files = [{"filename": p.name, "path": str(p), "size": p.stat().st_size, "created": p.stat().st_ctime,
                  "modified": p.stat().st_mtime} for p in sorted(dump_dir.iterdir()) if p.is_file()]  # fmt: skip
        return jsonify(status="success", dump_directory=str(dump_dir), dump_count=len(files), dump_files=files,
                       dump_history=[], timestamp=now())  # fmt: skip

    @app.get("/ctx/dump/<name>")
    def download(name):
        if not (dump_dir / name).is_file():
            return jsonify(error="not found", status="error"), 404
        return send_from_directory(dump_dir, name, as_attachment=True)

    @sio.event
    def connect(sid, _environ, _auth=None):
        clients.add(sid)
        sio.emit("context_snapshot", {"context": store, "timestamp": now(), "client_id": sid}, to=sid)
        sio.emit("client_stats", {"count": len(clients)})

    @sio.event
    def disconnect(sid, *_args):
        clients.discard(sid)
        sio.emit("client_stats", {"count": len(clients)})

    @sio.on("client_register")
    def client_register(sid, data=None):
        data = data or {}
        sio.emit("registration_confirmed", {"client_id": sid, "type": data.get("type"), "name": data.get("name"),
                                            "status": "registered"}, to=sid)  # fmt: skip

    @sio.on("context_set")
    def context_set(sid, data=None):
        change = apply(data, f"websocket_client_{sid}") if isinstance(data, dict) else None
        if change is None:
            sio.emit("error", {"message": "invalid context_set"}, to=sid)
            return
        sio.emit("context_set_confirmed", {"key": change["key"], "value": change["value"], "status": "success"},
                 to=sid)  # fmt: skip
        sio.emit("context_updated", change, skip_sid=sid)

    return socketio.WSGIApp(sio, app)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.production_imitation", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dump-dir", type=Path, default=Path("context_dumps"))
    parser.add_argument("--dump-write-delay", type=float, default=0.0, help="seconds between 4-KB pieces of a dump")
    args = parser.parse_args(argv)
    args.dump_dir.mkdir(parents=True, exist_ok=True)
    server = make_server("127.0.0.1", args.port, create(args.dump_dir, args.dump_write_delay), threaded=True)
    print(f"{READY}http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    os._exit(main())
