"""Intelligence sharing with other labs, cloud providers and authorities as STIX 2.1 bundles.

Export: clusters that were acted on become campaigns; what their accounts share becomes indicators (prompt
template fingerprints, payment instruments, ASNs, network ranges, client strings, accounts, organisations and
e-mail domains) with validity windows and confidence, ``indicates`` relationships and our sightings, under a TLP
marking. No raw personal data leaves: account, organisation, e-mail-domain and payment identifiers are keyed
hashes (HMAC-SHA256 with the trust group's sharing key, so members holding the key can match their own data),
and no prompt text is exported (a template is its fingerprint). Object ids are derived from their content, so
the same inputs give the same bundle.

Import: a partner's indicators become rows (kind, value, validity) that the coordination stage matches against
its own accounts: accounts sharing a partner indicator join one cluster.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import polars as pl

from features.coordination import GENERIC_CLIENTS

if TYPE_CHECKING:
    import stix2

SHARING_KEY_ENV = "DISTILL_GUARD_SHARING_KEY"
ACTED_ON = ["rate_limit", "require_verification", "degrade_reasoning", "suspend"]
VALIDITY_DAYS = 30
MIN_SHARED_ACCOUNTS = 2
MAX_INDICATORS_PER_KIND = 25  # per cluster: the most widely shared values (a pool has thousands of template variants)
NAMESPACE = uuid.UUID("5d1f3a52-2f55-4c8e-9a3e-6e1b0c1f7d10")
# stix2's marking definitions by TLP name (TLP:CLEAR is its TLP_WHITE). stix2 loads only where a bundle is built or
# read: its 0.1 s of imports would otherwise go on every published day, whose coordination stage reads this module.
TLP = {"clear": "TLP_WHITE", "green": "TLP_GREEN", "amber": "TLP_AMBER", "red": "TLP_RED"}
# kind -> STIX pattern over the value; hashed kinds carry an HMAC, never the identifier.
PATTERNS = {
    "template": "[x-distill-prompt-template:fingerprint = '{v}']",
    "payment": "[x-distill-payment-instrument:hmac_sha256 = '{v}']",
    "org": "[x-distill-organisation:hmac_sha256 = '{v}']",
    "email_domain": "[x-distill-email-domain:hmac_sha256 = '{v}']",
    "account": "[user-account:user_id = '{v}']",
    "asn": "[autonomous-system:number = {v}]",
    "network_v4": "[ipv4-addr:value ISSUBSET '{v}']",
    "network_v6": "[ipv6-addr:value ISSUBSET '{v}']",
    "user_agent": "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '{v}']",
}
HASHED = ("payment", "org", "email_domain", "account")
INDICATOR_COLUMNS = {
    "cluster_id": pl.String,
    "kind": pl.String,
    "value": pl.String,
    "first_seen": pl.Date,
    "last_seen": pl.Date,
    "accounts": pl.Int64,
    "confidence": pl.Int64,
}


class SharingKeyMissing(RuntimeError):
    """No sharing key in the environment: identifiers cannot be hashed, so nothing may be exported."""


def sharing_key() -> bytes:
    key = os.environ.get(SHARING_KEY_ENV, "")
    if len(key) < 16:
        raise SharingKeyMissing(
            f"set {SHARING_KEY_ENV} to the trust group's sharing key (at least 16 characters); "
            "account, organisation, e-mail and payment identifiers are shared only as keyed hashes"
        )
    return key.encode()


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Evidence:
    """Published and stored rows of the export window (frames as the warehouse holds them)."""

    actions: pl.DataFrame  # enforcement_actions
    clusters: pl.DataFrame  # clusters
    members: pl.DataFrame  # cluster_members
    accounts: pl.DataFrame  # accounts snapshots (raw), one row per account
    templates: pl.DataFrame  # stored account-day template use
    user_agents: pl.DataFrame  # account_id, user_agent


def acted_clusters(ev: Evidence) -> pl.DataFrame:
    """cluster_id, first_seen, last_seen, peak_score, accounts_actioned of clusters with an action in the window."""
    acted = (
        ev.actions.filter(pl.col("action").is_in(ACTED_ON) & pl.col("cluster_id").is_not_null())
        .group_by("cluster_id")
        .agg(accounts_actioned=pl.col("account_id").n_unique())
    )
    seen = ev.clusters.group_by("cluster_id").agg(
        first_seen=pl.col("date").min(),
        last_seen=pl.col("date").max(),
        peak_score=pl.col("score").max(),
        peak_accounts=pl.col("n_accounts").max(),
    )
    return seen.join(acted, on="cluster_id").sort("cluster_id")


def _values(ev: Evidence, key: bytes) -> pl.DataFrame:
    """(date, account_id, kind, value) for every member account-day, identifiers already hashed."""
    acc = ev.accounts
    net = (
        pl.when(pl.col("signup_ip").str.contains(":"))
        .then(pl.col("signup_ip").str.extract(r"^((?:[0-9a-fA-F]*:){3}[0-9a-fA-F]*)") + pl.lit("::/64"))
        .otherwise(pl.col("signup_ip").str.extract(r"^(\d+\.\d+\.\d+)\.") + pl.lit(".0/24"))
    )
    static = pl.concat(
        [
            acc.select("account_id", pl.lit("account").alias("kind"), pl.col("account_id").alias("value")),
            acc.select("account_id", pl.lit("org").alias("kind"), pl.col("org_id").alias("value")),
            acc.select("account_id", pl.lit("email_domain").alias("kind"), pl.col("email_domain").alias("value")),
            acc.select("account_id", pl.lit("payment").alias("kind"), pl.col("payment_fingerprint").alias("value")),
            acc.select("account_id", pl.lit("asn").alias("kind"), pl.col("signup_asn").cast(pl.String).alias("value")),
            acc.select(
                "account_id",
                pl.when(pl.col("signup_ip").str.contains(":"))
                .then(pl.lit("network_v6"))
                .otherwise(pl.lit("network_v4"))
                .alias("kind"),
                net.alias("value"),
            ),
            ev.user_agents.filter(
                ~pl.any_horizontal([pl.col("user_agent").str.starts_with(p) for p in GENERIC_CLIENTS])
            ).select("account_id", pl.lit("user_agent").alias("kind"), pl.col("user_agent").alias("value")),
        ]
    ).drop_nulls("value")
    static = static.with_columns(
        value=pl.struct("kind", "value").map_elements(
            lambda r: keyed_hash(key, r["kind"], r["value"]) if r["kind"] in HASHED else r["value"],
            return_dtype=pl.String,
        )
    )
    templates = ev.templates.select(
        "date", "account_id", pl.lit("template").alias("kind"), pl.col("template_id").cast(pl.String).alias("value")
    )
    dated = ev.members.select("date", "account_id").join(static, on="account_id")
    return pl.concat([dated, templates.join(ev.members.select("date", "account_id"), on=["date", "account_id"])])


def cluster_indicators(ev: Evidence, key: bytes) -> pl.DataFrame:
    """What each acted-on cluster's accounts share: one row per (cluster, kind, value) with window and confidence."""
    clusters = acted_clusters(ev)
    members = ev.members.join(clusters.select("cluster_id"), on="cluster_id", how="semi")
    values = _values(Evidence(ev.actions, ev.clusters, members, ev.accounts, ev.templates, ev.user_agents), key)
    rows = values.join(members, on=["date", "account_id"])
    size = members.group_by("cluster_id").agg(n_members=pl.col("account_id").n_unique())
    shared = (
        rows.group_by("cluster_id", "kind", "value")
        .agg(first_seen=pl.col("date").min(), last_seen=pl.col("date").max(), accounts=pl.col("account_id").n_unique())
        .join(size, on="cluster_id")
        .join(clusters.select("cluster_id", "peak_score"), on="cluster_id")
    )
    per_account = pl.col("kind").is_in(["account", "org"])
    shared = shared.filter(per_account | (pl.col("accounts") >= MIN_SHARED_ACCOUNTS))
    share = pl.when(per_account).then(1.0).otherwise(pl.col("accounts") / pl.col("n_members"))
    confidence = (pl.col("peak_score") * share * 100).round().clip(1, 100).cast(pl.Int64)
    top = (
        pl.col("accounts").rank("ordinal", descending=True).over("cluster_id", "kind", order_by="value")
        <= MAX_INDICATORS_PER_KIND
    )
    return (
        shared.filter(per_account | top)
        .with_columns(confidence=confidence)
        .select(list(INDICATOR_COLUMNS))
        .sort("cluster_id", "kind", "value")
    )


def _id(kind: str, *parts: object) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(str(p) for p in parts))}"


def _ts(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def build_bundle(
    ev: Evidence, key: bytes, start: date, end: date, producer: str = "distill-guard", tlp: str = "amber"
) -> stix2.Bundle:
    """The STIX 2.1 bundle for ``start``..``end``: identity, campaigns, indicators, relationships, sightings."""
    import stix2

    marking = getattr(stix2, TLP[tlp])
    common = {
        "created": _ts(end + timedelta(days=1)),
        "modified": _ts(end + timedelta(days=1)),
        "object_marking_refs": [marking.id],
    }
    identity = stix2.Identity(id=_id("identity", producer), name=producer, identity_class="organization", **common)
    common["created_by_ref"] = identity.id
    objects: list = [marking, identity]
    clusters = acted_clusters(ev)
    for c in clusters.iter_rows(named=True):
        objects.append(
            stix2.Campaign(
                id=_id("campaign", producer, c["cluster_id"]),
                name=f"{producer} cluster {c['cluster_id']}",
                description=(
                    f"Coordinated distillation cluster: up to {c['peak_accounts']} accounts, "
                    f"{c['accounts_actioned']} acted on between {start} and {end}."
                ),
                first_seen=_ts(c["first_seen"]),
                last_seen=_ts(c["last_seen"] + timedelta(days=1)),
                confidence=max(1, round(c["peak_score"] * 100)),
                **common,
            )
        )
    for row in cluster_indicators(ev, key).iter_rows(named=True):
        objects += _indicator_objects(row, producer, identity.id, common)
    return stix2.Bundle(objects=objects, id=_id("bundle", producer, start, end, len(objects)))


def _indicator_objects(row: dict, producer: str, identity_id: str, common: dict) -> list:
    import stix2

    campaign = _id("campaign", producer, row["cluster_id"])
    indicator = stix2.Indicator(
        id=_id("indicator", producer, row["cluster_id"], row["kind"], row["value"]),
        name=f"{row['kind']} shared by {row['accounts']} account(s) of cluster {row['cluster_id']}",
        pattern=PATTERNS[row["kind"]].format(v=_escape(row["value"])),
        pattern_type="stix",
        indicator_types=["malicious-activity"],
        valid_from=_ts(row["first_seen"]),
        valid_until=_ts(row["last_seen"] + timedelta(days=VALIDITY_DAYS)),
        confidence=row["confidence"],
        **common,
    )
    relation = stix2.Relationship(
        id=_id("relationship", indicator.id, campaign),
        relationship_type="indicates",
        source_ref=indicator.id,
        target_ref=campaign,
        **common,
    )
    sighting = stix2.Sighting(
        id=_id("sighting", indicator.id),
        sighting_of_ref=indicator.id,
        count=row["accounts"],
        first_seen=_ts(row["first_seen"]),
        last_seen=_ts(row["last_seen"] + timedelta(days=1)),
        where_sighted_refs=[identity_id],
        **common,
    )
    return [indicator, relation, sighting]


_PATTERN_RES = {
    kind: re.compile(
        "^" + re.escape(p).replace(re.escape("'{v}'"), r"'((?:[^'\\]|\\.)*)'").replace(re.escape("{v}"), r"(\d+)") + "$"
    )
    for kind, p in PATTERNS.items()
}


def parse_indicators(bundle_text: str, imported_at: datetime) -> pl.DataFrame:
    """A partner's bundle (validated, no custom properties) -> one row per indicator whose pattern we can match."""
    import stix2

    bundle = stix2.parse(bundle_text, allow_custom=False)
    objects = {o.id: o for o in bundle.objects}
    targets = {
        o.source_ref: objects.get(o.target_ref)
        for o in bundle.objects
        if o.type == "relationship" and o.relationship_type == "indicates"
    }
    rows = []
    for o in bundle.objects:
        if o.type != "indicator" or o.pattern_type != "stix":
            continue
        for kind, regex in _PATTERN_RES.items():
            match = regex.match(o.pattern)
            if match:
                producer = objects.get(getattr(o, "created_by_ref", None))
                rows.append(
                    {
                        "indicator_id": o.id,
                        "kind": kind,
                        "value": re.sub(r"\\(.)", r"\1", match.group(1)),
                        "valid_from": o.valid_from,
                        "valid_until": getattr(o, "valid_until", None),
                        "confidence": getattr(o, "confidence", None),
                        "campaign": getattr(targets.get(o.id), "name", None),
                        "producer": getattr(producer, "name", None),
                        "bundle_id": bundle.id,
                        "imported_at": imported_at,
                    }
                )
                break
    return pl.DataFrame(rows, schema=PARTNER_SCHEMA)


PARTNER_SCHEMA = {
    "indicator_id": pl.String,
    "kind": pl.String,
    "value": pl.String,
    "valid_from": pl.Datetime("us", "UTC"),
    "valid_until": pl.Datetime("us", "UTC"),
    "confidence": pl.Int64,
    "campaign": pl.String,
    "producer": pl.String,
    "bundle_id": pl.String,
    "imported_at": pl.Datetime("us", "UTC"),
}


def partner_edges(
    partner: pl.DataFrame, accounts: pl.DataFrame, templates: pl.DataFrame, user_agents: pl.DataFrame, key: bytes | None
) -> pl.DataFrame:
    """(account_id, kind='partner', value=indicator_id) for our accounts that match a partner's indicator."""
    empty = pl.DataFrame(schema={"account_id": pl.String, "kind": pl.String, "value": pl.String})
    if partner.is_empty():
        return empty
    if key is None and partner["kind"].is_in(list(HASHED)).any():
        raise SharingKeyMissing(f"partner indicators hold keyed hashes; set {SHARING_KEY_ENV} to match them")
    ours = [
        templates.select(
            "account_id", pl.lit("template").alias("kind"), pl.col("template_id").cast(pl.String).alias("value")
        ),
        user_agents.select("account_id", pl.lit("user_agent").alias("kind"), pl.col("user_agent").alias("value")),
    ]
    if key is not None:
        for kind, column in (
            ("payment", "payment_fingerprint"),
            ("org", "org_id"),
            ("email_domain", "email_domain"),
            ("account", "account_id"),
        ):
            ours.append(
                accounts.drop_nulls(column).select(
                    "account_id",
                    pl.lit(kind).alias("kind"),
                    pl.col(column)
                    .map_elements(lambda v, k=kind: keyed_hash(key, k, v), return_dtype=pl.String)
                    .alias("value"),
                )
            )
    matched = pl.concat(ours).unique().join(partner.select("kind", "value", "indicator_id"), on=["kind", "value"])
    return matched.select("account_id", pl.lit("partner").alias("kind"), pl.col("indicator_id").alias("value")).unique()
