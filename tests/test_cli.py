"""The command line for an operator: dates explained, missing input named, demo honest about resetting."""

import os
import shutil
import subprocess
import sys

import pytest

from pipelines import cli


@pytest.fixture(autouse=True)
def private_dagster_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("distill-guard 0.")


def test_dates_are_explained_in_help_and_errors(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert "YYYY-MM-DD" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--start", "03/02/2026"])
    assert exit_.value.code == 2
    assert "'03/02/2026' is not a day: use YYYY-MM-DD, e.g. 2026-03-02" in capsys.readouterr().err


def test_a_training_day_outside_the_world_is_refused_before_anything_is_simulated(tmp_path, capsys):
    out = tmp_path / "ev"
    assert cli.main(["evaluate", "--out", str(out), "--days", "21", "--train-once", "22"]) == 1
    assert "--train-once 22: the world has days 1 to 21" in capsys.readouterr().err
    assert not out.exists()


def test_missing_raw_root_and_missing_day_say_so(raw_copy, tmp_path, capsys):
    wh = str(tmp_path / "wh")
    assert cli.main(["run", "--start", "2026-03-02", "--raw", str(tmp_path / "nowhere"), "--warehouse", wh]) == 1
    assert f"raw root {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
    shutil.rmtree(raw_copy / "requests" / "date=2026-03-04")
    assert cli.main(["run", "--start", "2026-03-20", "--raw", str(raw_copy), "--warehouse", wh]) == 1
    err = capsys.readouterr().err
    assert "no requests partition for 2026-03-20" in err
    assert "days present: 2026-03-02 .. 2026-03-03, 2026-03-05 (3 days)" in err


def test_run_prints_one_line_per_day_when_not_a_terminal(raw_copy, tmp_path, capsys):
    assert (
        cli.main(
            [
                "run",
                "--start",
                "2026-03-02",
                "--end",
                "2026-03-03",
                "--raw",
                str(raw_copy),
                "--warehouse",
                str(tmp_path / "wh"),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:2] == ["published 2026-03-02", "published 2026-03-03"]
    assert "\r" not in captured.err + captured.out


def test_demo_says_it_resets_and_keep_keeps(raw_copy, tmp_path, capsys):
    for day in ("date=2026-03-03", "date=2026-03-04", "date=2026-03-05"):
        shutil.rmtree(raw_copy / "requests" / day)
        shutil.rmtree(raw_copy / "accounts" / day)
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "notes.txt").write_text("an analyst's file")
    args = ["demo", "--raw", str(raw_copy), "--warehouse", str(wh)]
    assert cli.main(args + ["--keep"]) == 0
    assert "keeping the warehouse" in capsys.readouterr().out and (wh / "notes.txt").exists()
    assert cli.main(args) == 0
    assert f"resetting the warehouse at {wh}" in capsys.readouterr().out and not (wh / "notes.txt").exists()


CONSOLE = """
import gc, sys
from pipelines import cli

def looking(args):  # stands for the command: what the process looks like when its work starts
    from pipelines import quality

    collections = gc.get_stats()[2]["collections"]
    checker = quality._checker is not None and "great_expectations" not in sys.modules
    print(gc.isenabled(), gc.get_freeze_count(), collections, checker)
    return 3

cli.cmd_run, cli.cmd_query = looking, lambda args: looking(args)
sys.argv = ["distill-guard", *sys.argv[1:]]
sys.exit(cli.entry())
"""
LOCATION = """
import gc, multiprocessing, sys

def looking():
    import pipelines.location
    from pipelines import quality

    checker = quality._checker is not None and "great_expectations" not in sys.modules
    return gc.isenabled(), gc.get_freeze_count(), gc.get_stats()[2]["collections"], checker

def run_worker(queue):
    queue.put(looking())

if __name__ == "__main__":
    if sys.argv[1:] == ["run-worker"]:  # Dagster's code server starts each run worker as a multiprocessing child
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(target=run_worker, args=(queue,))
        child.start()
        print(*queue.get())
        child.join()
        sys.exit(child.exitcode)
    print(*looking())
"""


@pytest.mark.parametrize(
    ("code", "argv", "settled", "checks", "exit_code"),
    [
        (CONSOLE, ["run", "--start", "2026-03-02"], True, True, 3),
        (CONSOLE, ["query", "select 1"], False, False, 3),
        (LOCATION, [], True, False, 0),  # the code server of the UI and the daemon
        (LOCATION, ["run-worker"], True, True, 0),  # and each run worker it starts
    ],
)
def test_processes_of_their_own_settle_their_libraries_and_exit_cleanly(
    code, argv, settled, checks, exit_code, tmp_path
):
    """A process that publishes days starts its Great Expectations checker where it runs the day's checks, loads
    its libraries, with one full collection, and keeps the collector off them (frozen objects are never
    collected, so only in processes of their own); collection is back on for what the run makes; the command's
    exit code comes through, and nothing reports leaked objects at exit."""
    script = tmp_path / "process.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script), *argv], capture_output=True, text=True)
    assert done.returncode == exit_code, done.stderr[-2000:]
    enabled, frozen, collections, checker = done.stdout.split()
    assert enabled == "True"
    assert checker == str(checks)
    assert int(frozen) > (150_000 if settled else 0)
    assert int(collections) <= 2  # imports with collection on ran eight or more
    assert "leaked" not in done.stderr


def test_a_publishing_process_leaves_rich_unloaded_and_dagster_storage_works(tmp_path):
    """Dagster's run storage pulls in structlog's console renderer, which loads rich where installed; a process
    that publishes days does without it, and Dagster's instance still opens and reads its runs."""
    code = f"""
import sys
from pathlib import Path
from pipelines.process import settle

settle(publishing=True, checks=False)
from pipelines.runner import local_instance

instance = local_instance(Path({str(tmp_path)!r}))
import structlog.dev

print(sys.modules.get("rich") is None, structlog.dev.rich is None, len(instance.get_runs()))
"""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # a fresh instance in tmp_path
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "0"]
    assert (tmp_path / "dagster_home" / "dagster.yaml").exists()


def test_an_instance_file_distill_guard_wrote_is_brought_up_to_date(tmp_path):
    """A Dagster home written by an earlier version gets today's settings; one a person edited is left alone."""
    from pipelines.runner import EARLIER_INSTANCE_CONFIGS, INSTANCE_CONFIG, ensure_instance_config

    (tmp_path / "dagster.yaml").write_text(EARLIER_INSTANCE_CONFIGS[0])
    ensure_instance_config(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text() == INSTANCE_CONFIG
    edited = EARLIER_INSTANCE_CONFIGS[0] + "# ours\n"
    (tmp_path / "dagster.yaml").write_text(edited)
    ensure_instance_config(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text() == edited
