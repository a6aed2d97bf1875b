"""``DumpUser``: dumps in every format, lists the dumps, downloads its own and parses it. Tag ``dump``.

It seeds three keys of its own, then every 5-15 s asks for one dump, cycling through
``--dump-formats`` with ``include_history`` alternating from one cycle to the next, and checks:

* ``POST /ctx/dump [<format>]``: the dump was made under the name it asked for;
* ``GET /ctx/dump/list``: that name is listed;
* ``GET /ctx/dump/[file]``: the file parses in its format and holds one of the seeded keys.

It never fills the disk: filenames are ``<prefix>_w<worker>_<n>.<format>`` with ``n`` rotating
through ``--dump-keep`` values per process, so a process leaves at most ``dump-keep`` files per
format, whatever the number of users or the length of the run, and later runs overwrite them. A
name is one user's from its dump until its download (``DumpNames``; a user waits for a free one):
no user of the run downloads a file that another is rewriting.
(The API has no delete; the files stay in the server's dump folder after the run.)
"""

import csv
import io
import itertools
import json

import gevent
from locust import between, tag, task

from traffic.base import ContextUser
from verification.checks import json_body
from verification.target_watch import TargetWatch

CSV_HEADER = ["Key", "Value", "Type", "Dump_Timestamp", "Requested_By"]
# Dumps hold whole values (LargePayloadUser writes up to 1 MB), beyond the csv module's default
# 128 KB field limit. The limit is process-wide; raising it harms nothing else here.
csv.field_size_limit(2**31 - 1)
SEEDED_KEYS = 3


class DumpNames:
    """The dump names of one process: each in use by one user at a time, from its dump until its download.

    Names rotate through ``--dump-keep`` numbers, skipping those another user of this process is using (a server
    that writes dumps in place, as production does, would otherwise serve one user's download half-rewritten by
    another's dump). When every number is in use, a user waits for one to be free, before it sends anything:
    the files stay bounded by ``--dump-keep`` per format, and no timing includes the wait.
    """

    def __init__(self):
        self.counter = itertools.count()
        self.in_use: set[int] = set()

    def take(self, keep: int) -> int:
        while len(self.in_use & set(range(keep))) >= keep:
            gevent.sleep(0.05)
        while True:
            number = next(self.counter) % keep
            if number not in self.in_use:
                self.in_use.add(number)
                return number

    def release(self, number: int) -> None:
        self.in_use.discard(number)


def parse_problem(fmt: str, text: str, expected_key: str) -> str | None:
    """Why ``text`` is not a good ``fmt`` dump holding ``expected_key``, or None."""
    try:
        if fmt == "json":
            document = json.loads(text)
            if not isinstance(document, dict) or not isinstance(document.get("context"), dict):
                return "json dump has no context object"
            keys = document["context"]
        elif fmt == "csv":
            rows = list(csv.reader(io.StringIO(text)))
            if not rows or rows[0] != CSV_HEADER:
                return "csv dump has the wrong header"
            keys = {row[0] for row in rows[1:] if row}
        elif fmt == "txt":
            # Values may hold newlines (a shared server has shell scripts' values): look for the key's line only.
            keys = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line}
        else:
            keys = text
    except (ValueError, csv.Error):
        return f"{fmt} dump does not parse"
    return None if expected_key in keys else f"{fmt} dump lacks a seeded key"


class DumpUser(ContextUser):
    kind = "dumper"
    weight = 1
    wait_time = between(5, 15)  # a dump is an occasional operator action, and costs the server a whole context

    def on_start(self):
        super().on_start()
        self.dumps = 0
        self.seed_keys()

    def seed_keys(self) -> bool:
        """Write the keys every dump must hold (again after a target restart lost them); True once all were."""
        self.seeded_before_restarts = TargetWatch.of(self.environment).restart_count
        self.seeded = all(
            [self.write(self.own_key(n), self.new_value(self.settings.payload_bytes)) for n in range(SEEDED_KEYS)]
        )
        return self.seeded

    def _filename(self, number: int) -> str:
        return f"{self.settings.key_prefix}_w{self.worker}_{number}"

    @tag("dump")
    @task
    def dump_list_download(self):
        restarted = TargetWatch.of(self.environment).restart_count != self.seeded_before_restarts
        if (restarted or not self.seeded) and not self.seed_keys():
            return  # seeding failed (a target that came up late): its writes failed; a dump can't be judged yet
        names = self.run_state.get(DumpNames)
        number = names.take(self.settings.dump_keep)
        try:
            self.dump_once(self._filename(number))
        finally:
            names.release(number)

    def dump_once(self, name: str) -> None:
        """Dump under ``name``, list the dumps, download it and parse it."""
        formats = self.settings.formats
        fmt = formats[self.dumps % len(formats)]
        include_history = (self.dumps // len(formats)) % 2 == 1
        self.dumps += 1
        request = {
            "format": fmt,
            "filename": name,
            "who": f"{self.settings.key_prefix}.dumper",
            "include_history": include_history,
        }
        with self.client.post(
            "/ctx/dump", json=request, name=f"POST /ctx/dump [{fmt}]", catch_response=True
        ) as response:
            body = json_body(response, "filename", "format", "key_count", "file_size")
            if body is None:
                return
            filename = body["filename"]
            if filename != f"{request['filename']}.{fmt}":
                response.failure("dump made under another name")
                return
        with self.client.get("/ctx/dump/list", name="GET /ctx/dump/list", catch_response=True) as response:
            body = json_body(response, "dump_files", "dump_count")
            if body is not None and filename not in {entry.get("filename") for entry in body["dump_files"]}:
                response.failure("dump not listed")
        with self.client.get(f"/ctx/dump/{filename}", name="GET /ctx/dump/[file]", catch_response=True) as response:
            if not 200 <= response.status_code < 300:
                if response.status_code:
                    response.failure(f"HTTP {response.status_code}")
                return
            problem = parse_problem(fmt, response.text or "", self.own_key(0))
            if problem:
                response.failure(problem)
