"""Bad suite input, table-driven: one clear line, a non-zero exit, no traffic sent, nothing overwritten.

Every ``locust`` case points at a loopback listener that counts connections (none may arrive) and
at ``--csv``/``--monitor-export``/``--junit`` files that already hold a sentinel (none may change).
"""

import contextlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

SENTINEL = "an earlier run's figures\n"
LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+\] \S+/INFO/")

THRESHOLDS = {
    "malformed.toml": "[[rule]\nmetric = 'rps'\n",
    "unknown-metric.toml": "[[rule]]\nmetric = 'cpu'\nwarning = 1\n",
    "inverted.toml": "[[rule]]\nmetric = 'avg_response_ms'\nwarning = 900\ncritical = 100\n",
    "negative.toml": "[[rule]]\nmetric = 'users'\nwarning = 5\nsustained_for = '-1s'\n",
    "duplicate.toml": "[[rule]]\nname = 'a'\nmetric = 'rps'\nwarning = 1\n"
    "[[rule]]\nname = 'a'\nmetric = 'users'\nwarning = 1\n",
    "nul-name.toml": "[[rule]]\nname = \"a\\u0000b\"\nmetric = 'rps'\nwarning = 1\n",
    "newline-name.toml": "[[rule]]\nname = \"a\\nb\"\nmetric = 'rps'\nwarning = 1\n",
}

# (extra locust arguments, text the one error line must contain)
LOCUST_CASES = [
    (["--hot-share", "3"], "--hot-share: expected a fraction from 0 to 1, got '3'"),
    (["--payload-bytes", "0"], "--payload-bytes: expected a whole number from 16 to 1000000, got '0'"),
    (["--key-prefix", "a b"], "--key-prefix: expected letters, digits"),
    (["--shape", "wobble"], "--shape"),
    (["--audit-timeout", "99"], "--audit-timeout: expected at most 50 seconds, got '99'"),
    (["--push-deadline", "0"], "--push-deadline: expected a duration above 0, got '0'"),
    (
        ["--large-min-bytes", "5000", "--large-max-bytes", "4000"],
        "--large-min-bytes 5000 must not exceed --large-max-bytes 4000",
    ),
    (["--monitor-interval", "0"], "--monitor-interval: expected seconds from 0.1 to 60, got '0'"),
    (["--monitor-retention", "ten"], "--monitor-retention: expected a number of snapshots"),
    (["--target-pid", "-4"], "--target-pid: expected a process id, got '-4'"),
    (["--server-poll-interval", "0.1"], "--server-poll-interval: expected 0 (off) or at least 0.5 seconds"),
    (["--thresholds", "{dir}/absent.toml"], "absent.toml"),
    (["--thresholds", "{dir}/malformed.toml"], "malformed.toml:1:"),
    (["--thresholds", "{dir}/unknown-metric.toml"], "unknown metric 'cpu'"),
    (["--thresholds", "{dir}/inverted.toml"], "warning 900 is above critical 100"),
    (["--thresholds", "{dir}/negative.toml"], "negative.toml:4:"),
    (["--thresholds", "{dir}/duplicate.toml"], "duplicate.toml:6:"),
    (["--config", "{dir}/bad.conf"], "--payload-bytes: expected a whole number from 16 to 1000000, got 'huge'"),
    # Outputs (common.output_files, ctxload.output_check): refused before any traffic, nothing destroyed.
    (["--junit", "{dir}/out_stats.csv"], "--junit {dir}/out_stats.csv: the same file as --csv"),
    (["--html", "{dir}/out_failures.csv"], "the same file as --csv {dir}/out_failures.csv"),
    (["--junit", "{dir}/out_push_stats.csv"], "the same file as --csv {dir}/out_push_stats.csv"),
    (["--junit", "{dir}/out_alerts.csv"], "out_alerts.csv: the same file as --junit"),
    (["--junit", "{dir}/link_to_stats.csv"], "the same file as --csv"),  # a link to out_stats.csv
    (["--junit", "{dir}"], "is a directory"),
    (["--junit", "{dir}/afile/verdict.xml"], "cannot make its folder"),
    (["--csv", "{dir}/afile/out"], "cannot make its folder"),
    (["--monitor-export", "{dir}/afile/out"], "cannot make its folder"),
    (["--junit", "{dir}/unix.sock"], "is a socket"),
    (["--csv", "{dir}/readonly/out"], "its folder {dir}/readonly is not writable"),
    (["-t", "0s"], "argument -t/--run-time: a run of 0 s has no time"),
    (["--run-time", "0"], "argument -t/--run-time: a run of 0 s has no time"),
    (["--thresholds", "{dir}/named.fifo"], "thresholds file is not a regular file"),
    (["--thresholds", "/dev/zero"], "thresholds file is not a regular file"),
    (["--thresholds", "{dir}"], "thresholds file is a folder"),
    (["--thresholds", "{dir}/huge.toml"], "at most 16,777,216 are read"),
    (["--thresholds", "{dir}/nul-name.toml"], "without control characters"),
    (["--thresholds", "{dir}/newline-name.toml"], "without control characters"),
]

# python -m refserver and python -m reports: (module and arguments, text of the one error line)
OTHER_CASES = [
    (["refserver", "--port", "99999"], "--port"),
    (["refserver", "--error-rate", "2"], "--error-rate"),
    (["refserver", "--header-timeout", "0"], "--header-timeout: expected 0.1..3600 seconds, got '0'"),
    (["refserver", "--max-connections", "0"], "--max-connections: expected 1..10000000, got '0'"),
    (["refserver", "--max-header-bytes", "10"], "--max-header-bytes: expected 1024..16777216, got '10'"),
    (["refserver", "--max-send-buffer", "lots"], "--max-send-buffer: expected a whole number, got 'lots'"),
    (["reports", "baseline", "show", "handmade", "--baselines", "{dir}/handmade"], "none of its 3 runs can be read"),
    (["reports", "summary", "{dir}/nowhere"], "nowhere_stats.csv: no such file"),
    (["reports", "summary", "{dir}/foreign"], "foreign_stats.csv: not a Locust stats file"),
    (["reports", "compare", "{dir}/foreign", "--baseline", "nope", "--baselines", "{dir}/b"], "no baseline 'nope'"),
    (["reports", "baseline", "save", "../up", "{dir}/foreign", "--baselines", "{dir}/b"], "baseline name '../up'"),
]


@pytest.fixture
def inputs(tmp_path):
    for name, text in THRESHOLDS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "bad.conf").write_text("payload-bytes = huge\n")
    (tmp_path / "foreign_stats.csv").write_text("time,elapsed,state\n1,2,running\n")
    (tmp_path / "foreign_stats_history.csv").write_text("time,elapsed,state\n1,2,running\n")
    (tmp_path / "afile").write_text("a file where a folder is asked for\n")
    os.mkfifo(tmp_path / "named.fifo")
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(tmp_path / "unix.sock"))
    with open(tmp_path / "huge.toml", "wb") as huge:
        huge.truncate(17 * 1024 * 1024)  # sparse: costs no disk
    for number, meta in enumerate(("[]", "null", '{"users": "ten", "date": 5}'), 1):  # hand-edited meta.json
        run = tmp_path / "handmade" / "handmade" / "runs" / f"{number:04d}"
        run.mkdir(parents=True)
        (run / "meta.json").write_text(meta)
    outputs = [tmp_path / f"out_{suffix}" for suffix in ("stats.csv", "monitor.json", "alerts.csv")]
    outputs.append(tmp_path / "verdict.xml")
    for path in outputs:
        path.write_text(SENTINEL)
    (tmp_path / "link_to_stats.csv").symlink_to(tmp_path / "out_stats.csv")
    with read_only(tmp_path / "readonly") as made:
        yield tmp_path, outputs, made


@contextlib.contextmanager
def read_only(folder):
    """A folder nobody can write in, even root (chattr +i), or None when this machine cannot make one."""
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    made = (
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
        if shutil.which("chattr")
        else False
    )
    try:
        yield folder if made else None
    finally:
        if made:
            subprocess.run(["chattr", "-i", str(folder)], check=True)


def one_error_line(stderr: str) -> str:
    """The only line that is not one of Locust's own timestamped log lines ("Starting Locust 2.47.0")."""
    lines = [line for line in stderr.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize(("arguments", "message"), LOCUST_CASES, ids=[" ".join(case[0]) for case in LOCUST_CASES])
def test_bad_locust_input(locust_command, silent_host, inputs, arguments, message):
    host, accepted = silent_host
    folder, outputs, read_only_folder = inputs
    if "readonly" in " ".join(arguments) and read_only_folder is None:
        pytest.skip("this machine cannot make a folder that root cannot write in (no chattr)")
    filled = [argument.format(dir=folder) for argument in arguments]
    command = locust_command(
        "--headless", "-u", "2", "-t", "5s", "--host", host, "--csv", str(folder / "out"),
        "--monitor-export", str(folder / "out"), "--junit", str(folder / "verdict.xml"), *filled,
    )  # fmt: skip
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message.format(dir=folder) in one_error_line(result.stderr)
    assert accepted == []  # no traffic
    assert all(path.read_text() == SENTINEL for path in outputs)  # nothing overwritten


@pytest.mark.parametrize(("arguments", "message"), OTHER_CASES, ids=[" ".join(case[0]) for case in OTHER_CASES])
def test_bad_target_and_reports_input(inputs, arguments, message):
    folder, outputs, _read_only = inputs
    filled = [argument.format(dir=folder) for argument in arguments]
    result = subprocess.run(
        [sys.executable, "-m", *filled], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert message in one_error_line(result.stderr)
    assert all(path.read_text() == SENTINEL for path in outputs)
    assert not (folder / "foreign_report").exists() and not (folder / "b").exists()


# Outputs at paths that hold something not ours, or nothing yet: each run ends normally (or with exit 5 when
# the disk is full), destroys nothing it did not write, and leaves no process or temporary behind.
def _device(folder):
    try:
        os.mknod(folder / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("this machine does not let the tests make a device node (no CAP_MKNOD)")
    return ["--junit", str(folder / "null")]


def _device_kept(folder, result):
    assert stat.S_ISCHR(os.lstat(folder / "null").st_mode)  # still the device, not a file in its place


def _link_to_stdout(folder):
    (folder / "stdout").symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    return ["--junit", str(folder / "stdout")]


def _link_to_stdout_kept(folder, result):
    assert (folder / "stdout").is_symlink() and "<testsuite" in result.stdout


def _link_to_file(folder):
    (folder / "real.xml").write_text(SENTINEL)
    (folder / "verdict-link.xml").symlink_to(folder / "real.xml")
    return ["--junit", str(folder / "verdict-link.xml")]


def _link_to_file_kept(folder, result):
    assert (folder / "verdict-link.xml").is_symlink() and "<testsuite" in (folder / "real.xml").read_text()


def _stale_temporaries(folder):
    for name in ("verdict.xml.part", ".verdict.xml.0x1.part", "out_monitor.json.part"):
        (folder / name).write_text(SENTINEL)  # left by a killed run: not ours to remove, and blocking nothing
    return ["--junit", str(folder / "verdict.xml"), "--monitor-export", str(folder / "out")]


def _stale_temporaries_kept(folder, result):
    assert "<testsuite" in (folder / "verdict.xml").read_text()
    assert json.loads((folder / "out_monitor.json").read_text())["final"] is True
    assert (folder / "verdict.xml.part").read_text() == SENTINEL
    assert sorted(path.name for path in folder.glob("*.part")) == sorted(
        [".verdict.xml.0x1.part", "out_monitor.json.part", "verdict.xml.part"]
    )


def _missing_folders(folder):
    return ["--junit", str(folder / "j" / "deeper" / "verdict.xml"), "--csv", str(folder / "c" / "out"),
            "--monitor-export", str(folder / "m" / "out")]  # fmt: skip


def _missing_folders_made(folder, result):
    assert (folder / "j" / "deeper" / "verdict.xml").is_file() and (folder / "c" / "out_stats.csv").is_file()
    assert (folder / "m" / "out_monitor.json").is_file()


def _full_disk(folder):
    (folder / "full").mkdir()
    (folder / "full" / "out_stats_history.csv").symlink_to("/dev/full")  # every write: No space left on device
    return ["--csv", str(folder / "full" / "out"), "--csv-full-history"]


def _full_disk_said(folder, result):
    errors = [line for line in result.stderr.splitlines() if "/ERROR/ctxload.output_failures" in line]
    assert len(errors) == 1 and f"--csv {folder}/full/out: not written: No space left on device" in errors[0]
    assert "Traceback" not in result.stderr.split("Shutting down")[-1]  # Locust's close of its files: quiet


OUTPUT_PATHS = {  # name: (setup(folder) -> arguments, check(folder, result), exit code)
    "a device node": (_device, _device_kept, 0),
    "a link to stdout": (_link_to_stdout, _link_to_stdout_kept, 0),
    "a link to a file": (_link_to_file, _link_to_file_kept, 0),
    "stale temporaries": (_stale_temporaries, _stale_temporaries_kept, 0),
    "missing folders": (_missing_folders, _missing_folders_made, 0),
    "a full disk": (_full_disk, _full_disk_said, 5),
}


@pytest.mark.parametrize("case", OUTPUT_PATHS)
def test_outputs_destroy_nothing_and_a_full_disk_is_exit_5(locust_command, server, tmp_path, case):
    setup, check, code = OUTPUT_PATHS[case]
    arguments = setup(tmp_path)
    command = locust_command("--headless", "-u", "1", "-t", "2s", "--host", server.url, "--tags", "write", *arguments)
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == code, result.stderr[-2000:]
    check(tmp_path, result)
    assert not [path for path in tmp_path.rglob(".*.part") if "0x1" not in path.name]  # no temporary of ours left
