"""Alerts delivered to a real HTTP receiver and a real SMTP server on 127.0.0.1, from real sensor evaluations."""

import json
import socket
import threading
from datetime import UTC, date, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
import yaml

from pipelines import alerts, definitions
from pipelines.runner import DayFailed, Runner


@pytest.fixture()
def webhook():
    """An HTTP server that records every JSON body POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/on-call", received
    server.shutdown()
    server.server_close()


@pytest.fixture()
def smtp():
    """An aiosmtpd server that keeps every message it accepts."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler.messages
    controller.stop()


@pytest.fixture()
def configured(tmp_path, webhook, smtp, monkeypatch):
    """A warehouse folder whose alerts.yaml names both channels."""
    for var in ("DISTILL_GUARD_ALERTS", *(alerts.ENV_PREFIX + f.upper() for f in alerts.AlertConfig.model_fields)):
        monkeypatch.delenv(var, raising=False)
    folder = tmp_path / "wh"
    folder.mkdir()
    (folder / "alerts.yaml").write_text(
        yaml.safe_dump(
            {
                "webhook_url": webhook[0],
                "email_to": ["oncall@example.org"],
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp[0],
                "publish_by_hour_utc": 0,
                "success_wait_hours": 3,
            }
        )
    )
    return folder


def test_a_failed_run_reaches_the_webhook_and_the_mailbox(configured, webhook, smtp, raw_copy):
    (raw_copy / "accounts" / "date=2026-03-02" / "part-00000.parquet").write_bytes(b"not parquet")
    instance = dg.DagsterInstance.ephemeral()
    runner = Runner(str(raw_copy), str(configured), instance=instance)
    with pytest.raises(DayFailed):
        runner.run_day(date(2026, 3, 2))
    run = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))[0]
    failure = next(r.dagster_event for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE))
    with dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={"warehouse": runner.warehouse},
    ).for_run_failure() as context:
        alerts.run_failure_alert(context)
    [post] = webhook[1]
    assert post["path"] == "/hooks/on-call" and post["type"] == "application/json" and set(post["body"]) == {"text"}
    text = post["body"]["text"]
    assert run.run_id in text and "partition 2026-03-02" in text
    assert "accounts/date=2026-03-02/part-00000.parquet: column '*' breaks rule 'readable_parquet'" in text
    [(rcpt, mail)] = smtp[1]
    assert rcpt == ["oncall@example.org"] and mail["Subject"].startswith("[distill-guard] run failed")
    assert "readable_parquet" in mail.get_payload(decode=True).decode()


def test_yesterday_not_published_alerts_once(configured, webhook, smtp, raw_copy):
    sensor_resources = {"warehouse": definitions.EnforcementWarehouse(folder=str(configured))}
    with dg.build_sensor_context(resources=sensor_resources) as context:
        result = alerts.published_day_freshness(context)
    assert "alerted" in result.skip_message
    yesterday = datetime.now(UTC).date().toordinal() - 1
    assert context.cursor == date.fromordinal(yesterday).isoformat()
    assert "not published by 00:00 UTC" in webhook[1][0]["body"]["text"] and len(smtp[1]) == 1
    with dg.build_sensor_context(resources=sensor_resources, cursor=context.cursor) as again_context:
        again = alerts.published_day_freshness(again_context)
    assert "already alerted" in again.skip_message and len(webhook[1]) == 1


def test_late_day_rule():
    published = [date(2026, 3, 2)]
    assert alerts.late_day(published, datetime(2026, 3, 3, 5, 59, tzinfo=UTC), 6) is None
    assert alerts.late_day(published, datetime(2026, 3, 3, 6, 0, tzinfo=UTC), 6) is None
    assert alerts.late_day(published, datetime(2026, 3, 4, 6, 0, tzinfo=UTC), 6) == date(2026, 3, 3)


def test_schedule_alerts_once_when_success_is_hours_late(configured, webhook, smtp, raw_copy):
    (raw_copy / "requests" / "date=2026-03-03" / "_SUCCESS").unlink()
    res = {
        "raw": definitions.RawLogWarehouse(root=str(raw_copy)),
        "warehouse": definitions.EnforcementWarehouse(folder=str(configured)),
    }
    for hour in range(0, 8):  # hourly ticks at hh:15 on the day after 2026-03-03
        when = datetime(2026, 3, 4, hour, 15, tzinfo=UTC)
        with dg.build_schedule_context(scheduled_execution_time=when, resources=res) as ctx:
            skip = definitions.nightly_schedule(ctx)
        assert isinstance(skip, dg.SkipReason)
    [post] = webhook[1]
    expected = "2026-03-03: requests partition has no _SUCCESS marker yet, 3 hours after the day ended"
    assert expected in post["body"]["text"]
    assert len(smtp[1]) == 1


def test_env_overrides_the_file_and_bad_delivery_raises(configured, monkeypatch):
    monkeypatch.setenv("DISTILL_GUARD_ALERT_EMAIL_TO", "a@example.org, b@example.org")
    monkeypatch.setenv("DISTILL_GUARD_ALERT_PUBLISH_BY_HOUR_UTC", "7")
    config = alerts.load_alert_config(configured)
    assert config.email_to == ["a@example.org", "b@example.org"] and config.publish_by_hour_utc == 7
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("DISTILL_GUARD_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{closed}/nothing-listens")
    with pytest.raises(alerts.AlertDeliveryError, match="not delivered by webhook"):
        alerts.send_alert(alerts.load_alert_config(configured), "test", "body")
    monkeypatch.setenv("DISTILL_GUARD_ALERT_PUBLISH_BY_HOUR_UTC", "25")
    with pytest.raises(ValueError, match="alerts.yaml: invalid alert configuration"):
        alerts.load_alert_config(configured)
