"""The Great Expectations suites run in every kind of process Dagster starts."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_gx_suite_runs_where_the_main_module_has_no_file():
    # A run worker launched from the UI or a schedule has no main file. With PySpark installed (the Spark engine),
    # GX's import of Spark Connect then exited the process (SystemExit 0) and the day's GX check failed.
    code = (
        "import pandas as pd; from pipelines.quality import requests_suite, run_suite; "
        "row = dict(endpoint='messages', input_tokens=1, output_tokens=1, max_tokens=1, status=200, latency_ms=1, "
        "country='US', ip='10.0.0.1', request_id='a'); "
        "frame = pd.DataFrame([row, {**row, 'status': 700, 'request_id': 'b'}]); "
        "print('failures:', run_suite(frame, requests_suite(), 'worker'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "failures: [\"column 'status' fails expect_column_values_to_be_between (1 unexpected)\"]" in out.stdout


def _frames():
    import pandas as pd

    row = dict(endpoint="messages", input_tokens=1, output_tokens=1, max_tokens=1, status=200, latency_ms=1)
    row |= dict(country="US", ip="10.0.0.1", request_id="a")
    return pd.DataFrame([row, {**row, "request_id": "b"}]), pd.DataFrame([row, {**row, "status": 700, "country": "x"}])


def test_the_checker_process_finds_what_this_process_finds_and_reports_its_errors():
    from pipelines.quality import Checker, CheckError, requests_suite, validate

    good, bad = _frames()
    checker = Checker()
    try:
        assert checker.run(good, requests_suite(), "good") == [] == validate(good, requests_suite(), "good")
        found = checker.run(bad, requests_suite(), "bad")
        assert found == validate(bad, requests_suite(), "bad")
        assert [f.split(" fails ")[0] for f in found] == ["column 'status'", "column 'country'", "column 'request_id'"]
        with pytest.raises(CheckError, match="(?s)suite broken failed in the checker process.*AttributeError"):
            checker.run(good, [("ExpectNoSuchThing", {"column": "status"})], "broken")
        assert checker.run(bad, requests_suite(), "after an error") == found  # one bad suite does not end it
    finally:
        checker.close()


def test_a_checker_that_has_gone_leaves_the_check_to_this_process(monkeypatch, caplog):
    from pipelines import quality

    _, bad = _frames()
    checker = quality.Checker()
    checker._proc.kill()
    checker._proc.wait()
    monkeypatch.setattr(quality, "_checker", checker)
    assert quality.run_suite(bad, quality.requests_suite(), "fallback") == quality.validate(
        bad, quality.requests_suite(), "fallback"
    )
    assert "checker process ended" in caplog.text


def test_the_checker_ends_with_the_process_that_started_it():
    code = (
        "import os, sys; from pipelines.quality import Checker; c = Checker(); print(c._proc.pid, flush=True); "
        "os._exit(0)"  # no exit handlers: as if the process were killed
    )
    # Its stderr is not captured: the checker inherits it, and capturing would wait for the checker's end.
    out = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=120
    )
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 120  # it sees its input close once Great Expectations has loaded
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


PUBLISHING = """
import sys
import pandas as pd
from pipelines import quality
quality.start_checker()
row = dict(endpoint="messages", input_tokens=1, output_tokens=1, max_tokens=1, status=200, latency_ms=1,
           country="US", ip="10.0.0.1", request_id="a")
frame = pd.DataFrame([row, {**row, "status": 700, "request_id": "b"}])
print(quality.run_suite(frame, quality.requests_suite(), "checked"), "great_expectations" in sys.modules)
"""


def test_a_process_with_a_checker_checks_there_and_never_loads_great_expectations_itself():
    out = subprocess.run([sys.executable, "-c", PUBLISHING], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("] ") == [
        "[\"column 'status' fails expect_column_values_to_be_between (1 unexpected)\"",
        "False\n",
    ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
