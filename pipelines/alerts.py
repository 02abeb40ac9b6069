"""Alerts for the engineer on call: failed runs, a published day that is late, a gateway that never marked a day.

Delivered to a webhook (JSON POST, Slack-compatible ``{"text": ...}``) and/or e-mail over SMTP. Configured in
one YAML file (``DISTILL_GUARD_ALERTS``, default ``<warehouse>/alerts.yaml``) whose fields any
``DISTILL_GUARD_ALERT_<FIELD>`` environment variable overrides (e.g. ``DISTILL_GUARD_ALERT_WEBHOOK_URL``).
A delivery that fails raises, so the sensor's tick shows the failure in the Dagster UI.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import dagster as dg
import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipelines.resources import EnforcementWarehouse

ENV_PREFIX = "DISTILL_GUARD_ALERT_"


class AlertConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: str = Field(default="", description="Receives a JSON POST {'text': ...} (Slack incoming webhook).")
    email_to: list[str] = Field(default=[], description="Recipients of alert e-mails.")
    email_from: str = "distill-guard@localhost"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    publish_by_hour_utc: int = Field(default=6, ge=0, le=23, description="Yesterday is published by this hour (UTC).")
    success_wait_hours: int = Field(default=6, ge=1, description="Hours after the day's end before no _SUCCESS alerts.")
    timeout_seconds: float = 10.0

    @property
    def channels(self) -> list[str]:
        return (["webhook"] if self.webhook_url else []) + (["email"] if self.email_to and self.smtp_host else [])


class AlertDeliveryError(RuntimeError):
    """An alert could not be delivered to a configured channel."""


def config_path(warehouse_folder: str | Path) -> Path:
    return Path(os.environ.get("DISTILL_GUARD_ALERTS") or Path(warehouse_folder) / "alerts.yaml")


def load_alert_config(warehouse_folder: str | Path) -> AlertConfig:
    """The file's settings, overridden field by field by the environment."""
    path = config_path(warehouse_folder)
    values = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    for name, field in AlertConfig.model_fields.items():
        raw = os.environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = [a.strip() for a in raw.split(",") if a.strip()] if field.annotation == list[str] else raw
    try:
        return AlertConfig.model_validate(values)
    except ValueError as exc:
        raise ValueError(f"{path}: invalid alert configuration: {exc}") from exc


def send_alert(config: AlertConfig, subject: str, text: str) -> list[str]:
    """Deliver to every configured channel; returns the channels used (none configured: nothing sent)."""
    for channel in config.channels:
        try:
            if channel == "webhook":
                _post_webhook(config, f"*{subject}*\n{text}")
            else:
                _send_email(config, subject, text)
        except (OSError, smtplib.SMTPException) as exc:
            raise AlertDeliveryError(f"alert '{subject}' not delivered by {channel}: {exc}") from exc
    return config.channels


def _post_webhook(config: AlertConfig, text: str) -> None:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(config.webhook_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:
        response.read()


def _send_email(config: AlertConfig, subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = f"[distill-guard] {subject}"
    message["From"], message["To"] = config.email_from, ", ".join(config.email_to)
    message.set_content(text)
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        smtp.send_message(message)


# --- what is worth an alert (plain functions, tested on fixed clocks) ---------------------------------------


def late_day(published: list[date], now: datetime, publish_by_hour_utc: int) -> date | None:
    """Yesterday, when it is past the publication hour and yesterday is not published; else None."""
    yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    if now.astimezone(UTC).hour < publish_by_hour_utc or yesterday in published:
        return None
    return yesterday


def success_wait_exceeded(day: date, tick: datetime, wait_hours: int) -> bool:
    """True on the first hourly tick at least ``wait_hours`` after ``day`` ended (so it alerts once)."""
    waited = (tick - datetime.combine(day + timedelta(days=1), time(), UTC)).total_seconds() / 3600
    return wait_hours <= waited < wait_hours + 1


def run_failure_text(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Failed checks and steps of a run, with the file, column and rule they name."""
    lines = [
        f"Run {run.run_id} ({run.job_name}) failed"
        + (f" for partition {run.tags['dagster/partition']}" if "dagster/partition" in run.tags else "")
        + "."
    ]
    for record in instance.all_logs(run.run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
            lines.append(f"- check {event.event_specific_data.check_name}: {event.event_specific_data.description}")
        elif (
            event.is_step_failure
            and event.step_failure_data.error is not None
            # a failed check already has its own line above
            and event.step_failure_data.error.cls_name != "DagsterAssetCheckFailedError"
        ):
            lines.append(f"- step {event.step_key}: {event.step_failure_data.error.message.strip()}")
    lines.append("Published results of earlier runs are unchanged.")
    return "\n".join(lines)


def alert_if_waited_too_long(warehouse_folder: str, day: date, tick: datetime, waiting: str) -> list[str]:
    """The nightly schedule's escalation: one alert when the gateway is ``success_wait_hours`` late."""
    config = load_alert_config(warehouse_folder)
    if not success_wait_exceeded(day, tick, config.success_wait_hours):
        return []
    return send_alert(
        config,
        f"{day} not delivered by the gateway",
        f"{waiting}, {config.success_wait_hours} hours after the day ended. The nightly run waits for it.",
    )


# --- Dagster sensors ------------------------------------------------------------------------------------------


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    description="Alerts webhook and e-mail when a run fails, naming the failed checks and steps.",
)
def run_failure_alert(context: dg.RunFailureSensorContext, warehouse: EnforcementWarehouse):
    config = load_alert_config(warehouse.folder)
    text = run_failure_text(context.instance, context.dagster_run)
    sent = send_alert(config, f"run failed: {context.dagster_run.job_name}", text)
    context.log.info(f"run failure alert sent to {sent or 'no channel (none configured)'}")


@dg.sensor(
    minimum_interval_seconds=900,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts once per day when yesterday is not published by the configured hour (UTC).",
)
def published_day_freshness(context: dg.SensorEvaluationContext, warehouse: EnforcementWarehouse):
    config = load_alert_config(warehouse.folder)
    late = late_day(warehouse.published_days(), datetime.now(UTC), config.publish_by_hour_utc)
    if late is None or context.cursor == late.isoformat():
        return dg.SkipReason("yesterday is published, or not due yet, or already alerted")
    send_alert(
        config,
        f"{late} not published",
        f"{late} was not published by {config.publish_by_hour_utc:02d}:00 UTC. "
        f"Last published day: {max(warehouse.published_days(), default='none')}.",
    )
    context.update_cursor(late.isoformat())
    return dg.SkipReason(f"alerted: {late} not published by {config.publish_by_hour_utc:02d}:00 UTC")
