"""The Great Expectations suites run in every kind of process Dagster starts."""

import subprocess
import sys
from pathlib import Path

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
