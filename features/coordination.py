"""Coordination: accounts linked by what they share, grouped into clusters that keep their ids across days.

The graph is bipartite (accounts and indicator values), so a pool of 5,000
accounts sharing one template costs 5,000 edges, not 12.5 million. Connected
components come from SciPy; everything before that is set-based Polars.

Indicators (each is a node; two accounts are linked when they share one):
- ``payment``: the same payment instrument.
- ``signup_net``: the same signup /24 (or IPv6 /64) network and creation within the same 48 hours.
- ``email_domain``: the same non-webmail e-mail domain and creation within the same 48 hours.
- ``client``: the same hosting signup ASN and (non-generic) client string and creation within the same 48 hours.
- ``template``: a template that makes up at least 20% of each linked account's traffic in the window,
  used across organisations, and owned by such concentrated users (at least half of its users);
  templates that are popular everywhere but nobody's main job are dropped (the down-weighting).
- ``lockstep``: the same template, at least 10% of the account's traffic, sent in at least 3 of the same
  10-minute buckets as accounts of at least 2 other organisations (loosely synchronised action).
- ``wake``: aged accounts silent in the last 28 days until the same day, behind rotating networks that day, when
  that day's wakers are many and several times the usual (a bought pool woken at once).
Accounts enforced on earlier days join the graph through their static indicators, so fresh
replacement accounts inherit the evidence against the pool they were bought from (hydra memory).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from features.coordination_config import coordination_config
from features.privacy import fingerprints
from features.reference import HOSTING_ASNS, WEBMAIL_DOMAINS

# Thresholds, windows and indicator words live in features/coordination.yaml (typed: coordination_config.py).
_CFG = coordination_config()
WINDOW_DAYS = _CFG.window_days
MIN_CLUSTER_SIZE = _CFG.min_cluster_size
MAX_INDICATOR_DEGREE = _CFG.max_indicator_degree
TEMPLATE_MIN_SHARE = _CFG.template.min_share
TEMPLATE_MIN_REQUESTS = _CFG.template.min_requests
LOCKSTEP_MIN_BUCKETS = _CFG.lockstep.min_buckets
LOCKSTEP_MIN_SHARE = _CFG.lockstep.min_share
GENERIC_CLIENTS = list(_CFG.generic_clients)
RISKY_TIERS = list(_CFG.risky_tiers)
ACADEMIC = _CFG.academic_domain_pattern
WEAK_KINDS = list(_CFG.weak_kinds)
INDICATOR_WORDS = dict(_CFG.indicator_words)
WAKE = _CFG.wake
CONTENT_TEMPLATE = _CFG.content_template


@dataclass(frozen=True)
class Coordination:
    members: pl.DataFrame  # date, account_id, cluster_id
    clusters: pl.DataFrame  # date, cluster_id, n_accounts, indicators, cluster features
    context: pl.DataFrame  # account_id, cluster context and organisation features for accounts active on the day


def _creation_bucket(col: str = "created_at") -> pl.Expr:
    return (pl.col(col).dt.epoch("s") // (48 * 3600)).cast(pl.String)


def static_indicators(accounts: pl.DataFrame) -> pl.DataFrame:
    """(account_id, kind, value) from the accounts snapshot alone."""
    net = (
        pl.when(pl.col("signup_ip").str.contains(":"))
        .then(pl.col("signup_ip").str.extract(r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*)"))
        .otherwise(pl.col("signup_ip").str.extract(r"^(\d+\.\d+\.\d+)\."))
    )
    parts = [
        accounts.filter(pl.col("payment_fingerprint").is_not_null()).select(
            "account_id", pl.lit("payment").alias("kind"), pl.col("payment_fingerprint").alias("value")
        ),
        # A cloud provider's network is shared by thousands of tenants (an enterprise's NAT, a pool's rented
        # machines in the same region): there only the `client` indicator (same network and client) links.
        accounts.filter(~pl.col("signup_asn").is_in(list(HOSTING_ASNS)))
        .select(
            "account_id",
            pl.lit("signup_net").alias("kind"),
            pl.concat_str([net, _creation_bucket()], separator="|").alias("value"),
        )
        .drop_nulls("value"),
        # Webmail and academic domains are public: thousands of unrelated students share a university's domain,
        # and pools register with it too, so a class created the same week would join the pool.
        accounts.filter(
            ~pl.col("email_domain").is_in(WEBMAIL_DOMAINS) & ~pl.col("email_domain").str.contains(ACADEMIC)
        ).select(
            "account_id",
            pl.lit("email_domain").alias("kind"),
            pl.concat_str([pl.col("email_domain"), _creation_bucket()], separator="|").alias("value"),
        ),
    ]
    return pl.concat(parts)


def _client_indicators(accounts: pl.DataFrame, user_agents: pl.DataFrame) -> pl.DataFrame:
    return (
        accounts.filter(pl.col("signup_asn").is_in(list(HOSTING_ASNS)))
        .join(
            user_agents.filter(~pl.any_horizontal([pl.col("user_agent").str.starts_with(p) for p in GENERIC_CLIENTS])),
            on="account_id",
        )
        .select(
            "account_id",
            pl.lit("client").alias("kind"),
            pl.concat_str(
                [pl.col("signup_asn").cast(pl.String), pl.col("user_agent"), _creation_bucket()], separator="|"
            ).alias("value"),
        )
    )


# Template use is the one window table that grows with requests (a row per account, template and day: 16.8M rows
# on a 30M-request day), so it is read in streaming passes whose tables stay small. A template is at least a
# share s of an account's window only if one of its day rows holds s / (the account's active days) of it: rows
# below that bound are skipped, then the pairs left are summed exactly over all their rows.
PREFILTER_SLACK = 0.999  # the bound loosened, so rounding never skips a pair that qualifies


def _streamed(frame: pl.LazyFrame) -> pl.DataFrame:
    return frame.collect(engine="streaming")


def _account_totals(templates: pl.LazyFrame) -> pl.DataFrame:
    """Requests and active days of each account in the window's template use."""
    return _streamed(
        templates.group_by("account_id").agg(total=pl.col("n_requests").sum(), days=pl.col("date").n_unique())
    )


def _pairs_reaching(
    templates: pl.LazyFrame, totals: pl.DataFrame, keys: list[str], share: float, requests: int = 0
) -> pl.DataFrame:
    """Window sums of the ``keys`` groups that may reach ``share`` of their account's traffic and ``requests``:
    every group that does is here, with its exact sum (``n_requests``) and the account's ``total``."""
    bound = pl.max_horizontal(pl.lit(float(requests)), share * pl.col("total")) * PREFILTER_SLACK
    candidates = _streamed(
        templates.join(totals.lazy(), on="account_id")
        .filter(pl.col("n_requests") * pl.col("days") >= bound)
        .select(keys)
        .unique()
    )
    return _streamed(
        templates.join(candidates.lazy(), on=keys, how="semi")
        .group_by(keys)
        .agg(pl.col("n_requests").sum())
        .join(totals.lazy(), on="account_id")
    )


def _template_indicators(templates: pl.LazyFrame, totals: pl.DataFrame) -> pl.DataFrame:
    keys = ["account_id", "org_id", "template_id"]
    concentrated = _pairs_reaching(templates, totals, keys, TEMPLATE_MIN_SHARE, TEMPLATE_MIN_REQUESTS).filter(
        (pl.col("n_requests") / pl.col("total") >= TEMPLATE_MIN_SHARE) & (pl.col("n_requests") >= TEMPLATE_MIN_REQUESTS)
    )
    owned = concentrated.group_by("template_id").agg(concentrated_users=pl.len(), orgs=pl.col("org_id").n_unique())
    owned = owned.filter((pl.col("orgs") >= 2) & (pl.col("concentrated_users") >= 2))
    # Users of each such template, concentrated or not: nobody's main job when most of them send it in passing.
    users = _streamed(
        templates.join(owned.lazy().select("template_id"), on="template_id", how="semi")
        .select(keys)
        .unique()
        .group_by("template_id")
        .agg(users=pl.len())
    )
    owned = owned.join(users, on="template_id").filter(pl.col("concentrated_users") >= 0.5 * pl.col("users"))
    return concentrated.join(owned.select("template_id"), on="template_id").select(
        "account_id", pl.lit("template").alias("kind"), pl.col("template_id").cast(pl.String).alias("value")
    )


def _content_template_orgs(day: date, templates: pl.LazyFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Most other organisations whose verified, settled accounts send, with extraction content, a template the
    account sends with extraction content (a campaign mixed into several customers' traffic). Attack pools of fresh
    accounts do not count: a red team sends the probes they send. One streaming pass over the rows that carry any.
    """
    empty = pl.DataFrame(schema={"account_id": pl.String, "acct_content_template_orgs": pl.Int64})
    used = _streamed(
        templates.filter(pl.col("n_content") > 0)
        .group_by("account_id", "org_id", "template_id")
        .agg(pl.col("n_content").sum(), pl.col("n_requests").sum())
        .filter(
            (pl.col("n_content") >= CONTENT_TEMPLATE.min_requests)
            & (pl.col("n_content") >= CONTENT_TEMPLATE.min_share * pl.col("n_requests"))
        )
    )
    if used.is_empty():
        return empty
    settled_before = pl.lit(day - timedelta(days=CONTENT_TEMPLATE.min_sender_age_days)).cast(pl.Datetime("us", "UTC"))
    settled = accounts.filter(pl.col("verified").fill_null(False) & (pl.col("created_at") <= settled_before))
    senders = used.join(settled.select("account_id"), on="account_id", how="semi")
    orgs = senders.group_by("template_id").agg(pl.col("org_id").unique().alias("orgs"))
    return (
        used.join(orgs, on="template_id")
        .with_columns(others=pl.col("orgs").list.set_difference(pl.concat_list("org_id")).list.len())
        .group_by("account_id")
        .agg(acct_content_template_orgs=pl.col("others").max().cast(pl.Int64))
    )


def _lockstep_indicators(
    sync: pl.DataFrame, orgs: pl.DataFrame, templates: pl.LazyFrame, totals: pl.DataFrame
) -> pl.DataFrame:
    if sync.is_empty():
        return pl.DataFrame(schema={"account_id": pl.String, "kind": pl.String, "value": pl.String})
    # Only templates that are a real part of the account's traffic: an aggregator touches every
    # popular template in every bucket without acting in lockstep with anyone.
    main = _pairs_reaching(templates, totals, ["account_id", "template_id"], LOCKSTEP_MIN_SHARE).filter(
        pl.col("n_requests") >= LOCKSTEP_MIN_SHARE * pl.col("total")
    )
    sync = sync.join(main.select("account_id", "template_id"), on=["account_id", "template_id"], how="semi")
    cells = sync.join(orgs, on="account_id", how="left").with_columns(
        cell_orgs=pl.col("org_id").n_unique().over("template_id", "bucket")
    )
    crowded = cells.filter(pl.col("cell_orgs") >= 3)
    return (
        crowded.group_by("account_id", "template_id")
        .agg(buckets=pl.col("bucket").n_unique())
        .filter(pl.col("buckets") >= LOCKSTEP_MIN_BUCKETS)
        .select("account_id", pl.lit("lockstep").alias("kind"), pl.col("template_id").cast(pl.String).alias("value"))
    )


WAKE_COLUMNS = ["date", "account_id", "org_id", "acct_age_days", "acct_distinct_asns_1d"]


def _wake_indicators(activity: pl.LazyFrame) -> pl.DataFrame:
    """Accounts woken together: silent on at least ``min_silent_days`` days the history holds, back on one day
    behind rotating networks, with that day's wakers many and at least ``min_ratio`` times the median of the
    earlier days'; stragglers back within ``join_days`` after such a day join it (the value is the pool's day).

    ``activity``: account-day rows (WAKE_COLUMNS) of the last ``wake.memory_days``, read in streaming passes."""
    held = _streamed(activity.select("date").unique()).sort("date")["date"]
    silent = pl.Series("woke", held[WAKE.min_silent_days :], dtype=pl.Date)
    first = activity.group_by("account_id").agg(woke=pl.col("date").min())
    wakers = _streamed(
        activity.join(first, on="account_id")
        .filter(
            (pl.col("date") == pl.col("woke"))
            & pl.col("woke").is_in(silent.implode())
            & (pl.col("acct_age_days") >= WAKE.min_age_days)
            & (pl.col("acct_distinct_asns_1d") >= WAKE.min_distinct_asns)
        )
        .select("account_id", "org_id", "woke")
    ).sort("woke", "account_id")
    per_day = (
        silent.to_frame()
        .join(wakers.group_by("woke").agg(orgs=pl.col("org_id").n_unique()), on="woke", how="left")
        .with_columns(pl.col("orgs").fill_null(0))
        .sort("woke")
    )
    # The usual: the median over the earlier days only, so a pool woken yesterday does not hide one woken today.
    counts = per_day["orgs"].to_list()
    usual = [float(np.median(counts[:i])) if i else None for i in range(len(counts))]
    spikes = (
        per_day.with_columns(usual=pl.Series(usual, dtype=pl.Float64))
        .filter(
            pl.col("usual").is_not_null()
            & (pl.col("orgs") >= WAKE.min_orgs)
            & (pl.col("orgs") >= WAKE.min_ratio * pl.col("usual").clip(lower_bound=1.0))
        )
        .select(pool_day=pl.col("woke"))
    )
    joined = wakers.join_asof(
        spikes.sort("pool_day"),
        left_on="woke",
        right_on="pool_day",
        strategy="backward",
        tolerance=timedelta(days=WAKE.join_days),
    )
    return joined.drop_nulls("pool_day").select(
        "account_id", pl.lit("wake").alias("kind"), pl.col("pool_day").cast(pl.String).alias("value")
    )


def _components(edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components of the account-indicator graph -> (account_id, component)."""
    accounts = edges.select("account_id").unique().sort("account_id").with_row_index("a")
    nodes = edges.select("kind", "value").unique().sort("kind", "value").with_row_index("i")
    e = edges.join(accounts, on="account_id").join(nodes, on=["kind", "value"])
    n_a, n_i = accounts.height, nodes.height
    rows = e["a"].to_numpy().astype(np.int64)
    cols = e["i"].to_numpy().astype(np.int64) + n_a
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_a + n_i, n_a + n_i))
    _, labels = connected_components(graph, directed=False)
    return accounts.with_columns(component=pl.Series(labels[:n_a].astype(np.int64))).drop("a")


def _stable_ids(components: pl.DataFrame, previous: pl.DataFrame | None, day: date) -> pl.DataFrame:
    """Give each component the id of yesterday's cluster it overlaps most; new clusters get new ids."""
    first_member = components.group_by("component").agg(pl.col("account_id").min().alias("first_member"))
    fresh = (
        first_member.sort("first_member")
        .with_row_index("k")
        .select("component", (pl.lit(f"cl-{day:%Y%m%d}-") + pl.col("k").cast(pl.String).str.zfill(4)).alias("new_id"))
    )
    if previous is None or previous.is_empty():
        return components.join(fresh, on="component").select("account_id", pl.col("new_id").alias("cluster_id"))
    overlap = (
        components.join(previous.select("account_id", pl.col("cluster_id").alias("old_id")), on="account_id")
        .group_by("component", "old_id")
        .agg(n=pl.len())
        .sort(["n", "component", "old_id"], descending=[True, False, False])
    )
    # Greedy one-to-one matching, largest overlaps first, deterministic ties.
    taken_c, taken_o, pairs = set(), set(), []
    for comp, old, _ in overlap.iter_rows():
        if comp in taken_c or old in taken_o:
            continue
        taken_c.add(comp)
        taken_o.add(old)
        pairs.append((comp, old))
    matched = pl.DataFrame(pairs, schema={"component": pl.Int64, "old_id": pl.String}, orient="row")
    ids = fresh.join(matched, on="component", how="left").select(
        "component", pl.coalesce("old_id", "new_id").alias("cluster_id")
    )
    return components.join(ids, on="component").select("account_id", "cluster_id")


# The day's graph in order (window, indicators, components, stable ids, features); each step hands the next several
# frames.
def coordinate(
    day: date,
    accounts: pl.DataFrame,
    features_window: pl.DataFrame,
    templates_window: pl.DataFrame | pl.LazyFrame,
    sync_window: pl.DataFrame,
    previous_members: pl.DataFrame | None = None,
    enforced_accounts: pl.DataFrame | None = None,
    partner_edges: pl.DataFrame | None = None,
    key: bytes | None = None,
    activity: pl.LazyFrame | None = None,
) -> Coordination:
    """Clusters for ``day`` from the trailing window (rows after ``day`` are ignored).

    ``partner_edges``: (account_id, kind, value) of accounts matching an indicator shared by a partner.
    ``key``: the warehouse's fingerprint key (without one, a random key: fingerprints then match within this call
    only). ``activity``: account-day rows (WAKE_COLUMNS) of the last ``wake.memory_days`` for pools woken at once
    (without it, the window's own rows: a pool is then remembered for the window only).
    """
    lo = day - timedelta(days=WINDOW_DAYS - 1)
    in_window = lambda df: df.filter(pl.col("date").is_between(lo, day))  # noqa: E731
    feats = in_window(features_window)
    templates, sync = in_window(templates_window.lazy()), in_window(sync_window)
    totals = _account_totals(templates)
    active_today = feats.filter(pl.col("date") == day).select("account_id", "org_id")
    window_accounts = feats.select("account_id").unique()
    enforced = (
        enforced_accounts.select("account_id").unique()
        if enforced_accounts is not None
        else pl.DataFrame(schema={"account_id": pl.String})
    )
    graph_accounts = pl.concat([window_accounts, enforced]).unique()
    acc = accounts.join(graph_accounts, on="account_id", how="semi")
    user_agents = (
        feats.sort("date").group_by("account_id").agg(pl.col("acct_top_user_agent_1d").last().alias("user_agent"))
    )
    orgs = feats.select("account_id", "org_id").unique("account_id")

    parts = [
        static_indicators(acc),
        _client_indicators(acc, user_agents),
        _template_indicators(templates, totals),
        _lockstep_indicators(sync, orgs, templates, totals),
        _wake_indicators(
            activity.filter(pl.col("date") <= day) if activity is not None else feats.lazy().select(WAKE_COLUMNS)
        ).join(graph_accounts, on="account_id", how="semi"),
    ]
    if partner_edges is not None:
        parts.append(partner_edges.join(graph_accounts, on="account_id", how="semi"))
    edges = pl.concat([p.select("account_id", "kind", pl.col("value").cast(pl.String)) for p in parts]).unique()
    degree = edges.group_by("kind", "value").agg(deg=pl.len())
    edges = edges.join(
        degree.filter((pl.col("deg") >= 2) & (pl.col("deg") <= MAX_INDICATOR_DEGREE)), on=["kind", "value"], how="semi"
    )

    # Clusters grow through strong indicators only: one public prompt template, or lockstep timing on it, chains
    # unrelated customers (a roll-out, a class, a judge pipeline) into an attack pool's component. What the weak
    # indicators say stays on the account (acct_template_pool_orgs) and in the cluster's indicator list.
    strong_edges = edges.filter(~pl.col("kind").is_in(WEAK_KINDS))
    comps = (
        _components(strong_edges)
        if not strong_edges.is_empty()
        else pl.DataFrame(schema={"account_id": pl.String, "component": pl.Int64})
    )
    sizes = comps.group_by("component").agg(size=pl.len())
    comps = comps.join(sizes.filter(pl.col("size") >= MIN_CLUSTER_SIZE), on="component", how="semi")
    # A cluster is reported on a day when one of its members was active that day.
    live = comps.join(active_today, on="account_id", how="semi").select("component").unique()
    comps = comps.join(live, on="component", how="semi")
    members = (
        _stable_ids(comps, previous_members, day)
        .with_columns(date=pl.lit(day))
        .select("date", "account_id", "cluster_id")
        .sort("cluster_id", "account_id")
    )

    clusters = _cluster_features(
        day, members, edges, acc, feats, templates, enforced, key if key is not None else secrets.token_bytes(32)
    )
    context = (
        _account_context(day, active_today, members, clusters, accounts, enforced, edges)
        .join(_content_template_orgs(day, templates, accounts), on="account_id", how="left")
        .with_columns(pl.col("acct_content_template_orgs").fill_null(0))
    )
    return Coordination(members, clusters, context)


# One aggregation per family of cluster features, all keyed by cluster, so CLUSTER_SCHEMA below lists what it makes.
def _cluster_features(day, members, edges, acc, feats, templates, enforced, key: bytes) -> pl.DataFrame:
    if members.is_empty():
        return pl.DataFrame(schema=CLUSTER_SCHEMA)
    m = members.join(acc, on="account_id", how="left")
    age_days = (
        pl.lit(day + timedelta(days=1)).cast(pl.Datetime("us", "UTC")) - pl.col("created_at")
    ).dt.total_hours() / 24
    per_cluster = m.group_by("cluster_id").agg(
        cluster_n_accounts=pl.len(),
        cluster_n_orgs=pl.col("org_id").n_unique(),
        cluster_creation_span_hours=(pl.col("created_at").max() - pl.col("created_at").min()).dt.total_hours(),
        cluster_fresh_share=(age_days < 14).mean(),
        cluster_risky_tier_share=pl.col("tier").is_in(RISKY_TIERS).mean(),
        cluster_verified_share=pl.col("verified").cast(pl.Float64).mean(),
        cluster_payment_present_share=pl.col("payment_fingerprint").is_not_null().mean(),
        cluster_payment_max_shared=pl.col("payment_fingerprint")
        .drop_nulls()
        .value_counts()
        .struct.field("count")
        .max(),
        cluster_enforced_members=pl.col("account_id").is_in(enforced["account_id"].implode()).sum(),
    )
    # sorted so the float sums below meet rows in one order on every rerun
    f = feats.join(members.select("account_id", "cluster_id"), on="account_id").sort("cluster_id", "account_id", "date")
    activity = f.group_by("cluster_id").agg(
        cluster_active_accounts_1d=pl.col("account_id").filter(pl.col("date") == day).n_unique(),
        cluster_req_count_7d=pl.col("acct_req_count_1d").sum(),
        cluster_cot_rate_7d=(pl.col("acct_cot_rate_1d") * pl.col("acct_req_count_1d")).sum()
        / pl.col("acct_req_count_1d").sum(),
        cluster_thinking_share_7d=(pl.col("acct_thinking_share_1d") * pl.col("acct_req_count_1d")).sum()
        / pl.col("acct_req_count_1d").sum(),
        cluster_hosting_share_7d=(pl.col("acct_hosting_asn_share_1d") * pl.col("acct_req_count_1d")).sum()
        / pl.col("acct_req_count_1d").sum(),
        cluster_near_max_share_7d=(pl.col("acct_near_max_share_1d") * pl.col("acct_req_count_1d")).sum()
        / pl.col("acct_req_count_1d").sum(),
        cluster_new_member_share_1d=(
            pl.col("account_id").filter(pl.col("date") == day).n_unique()
            - pl.col("account_id")
            .filter(pl.col("date") < day)
            .unique()
            .is_in(pl.col("account_id").filter(pl.col("date") == day).implode())
            .sum()
        )
        / pl.col("account_id").filter(pl.col("date") == day).n_unique().clip(1),
    )
    t = _streamed(
        templates.join(members.lazy().select("account_id", "cluster_id"), on="account_id")
        .group_by("cluster_id", "template_id")
        .agg(n=pl.col("n_requests").sum())
    )
    top_tpl = t.group_by("cluster_id").agg(
        cluster_top_template_share_7d=(pl.col("n").max() / pl.col("n").sum()).cast(pl.Float64)
    )
    ind = (
        edges.join(members.select("account_id", "cluster_id"), on="account_id")
        .group_by("cluster_id", "kind", "value")
        .agg(n=pl.len())
        .filter(pl.col("n") >= 2)
        .sort(["cluster_id", "n", "kind", "value"], descending=[False, True, False, False])
    )
    # published text carries the kind and a keyed fingerprint, never the raw value (features/privacy.py)
    indicators = (
        ind.with_columns(fp=fingerprints(ind, key))
        .with_columns(
            text=pl.col("n").cast(pl.String)
            + pl.lit(" accounts ")
            + pl.col("kind").replace_strict(INDICATOR_WORDS)
            + pl.lit(" (")
            + pl.col("fp")
            + pl.lit(")")
        )
        .group_by("cluster_id", maintain_order=True)
        .agg(indicators=pl.col("text").head(5), cluster_indicator_kinds=pl.col("kind").n_unique())
    )
    out = (
        per_cluster.join(activity, on="cluster_id", how="left")
        .join(top_tpl, on="cluster_id", how="left")
        .join(indicators, on="cluster_id", how="left")
        .with_columns(
            date=pl.lit(day),
            n_accounts=pl.col("cluster_n_accounts"),
            cluster_enforced_before=(pl.col("cluster_enforced_members") > 0).cast(pl.Int32),
        )
    )
    return out.select(list(CLUSTER_SCHEMA)).cast(CLUSTER_SCHEMA).sort("cluster_id")


CLUSTER_SCHEMA = {
    "date": pl.Date,
    "cluster_id": pl.String,
    "n_accounts": pl.Int64,
    "indicators": pl.List(pl.String),
    "cluster_n_accounts": pl.Int64,
    "cluster_n_orgs": pl.Int64,
    "cluster_active_accounts_1d": pl.Int64,
    "cluster_creation_span_hours": pl.Float64,
    "cluster_fresh_share": pl.Float64,
    "cluster_risky_tier_share": pl.Float64,
    "cluster_verified_share": pl.Float64,
    "cluster_payment_present_share": pl.Float64,
    "cluster_payment_max_shared": pl.Int64,
    "cluster_req_count_7d": pl.Int64,
    "cluster_top_template_share_7d": pl.Float64,
    "cluster_cot_rate_7d": pl.Float64,
    "cluster_thinking_share_7d": pl.Float64,
    "cluster_hosting_share_7d": pl.Float64,
    "cluster_near_max_share_7d": pl.Float64,
    "cluster_new_member_share_1d": pl.Float64,
    "cluster_indicator_kinds": pl.Int64,
    "cluster_enforced_members": pl.Int64,
    "cluster_enforced_before": pl.Int32,
}
CLUSTER_FEATURES = [c for c in CLUSTER_SCHEMA if c.startswith("cluster_") and c != "cluster_id"]


# The account's own links (enforced, cross-organisation, template pool) and organisation growth, joined once.
def _account_context(day, active_today, members, clusters, accounts, enforced, edges) -> pl.DataFrame:
    ctx = active_today.join(members.select("account_id", "cluster_id"), on="account_id", how="left")
    ctx = ctx.join(clusters.select("cluster_id", *CLUSTER_FEATURES), on="cluster_id", how="left")
    ctx = ctx.with_columns([pl.col(c).fill_null(0) for c in CLUSTER_FEATURES])
    # Direct links to accounts enforced before today, whatever the cluster.
    # Through strong indicators only: a public prompt template shared with an enforced pool links unrelated customers.
    strong_edges = edges.filter(~pl.col("kind").is_in(WEAK_KINDS))
    enforced_nodes = strong_edges.join(enforced, on="account_id", how="semi").select("kind", "value").unique()
    links = (
        strong_edges.join(enforced_nodes, on=["kind", "value"], how="semi")
        .join(
            strong_edges.join(enforced, on="account_id", how="semi").rename({"account_id": "enforced_id"}),
            on=["kind", "value"],
        )
        .filter(pl.col("account_id") != pl.col("enforced_id"))
        .group_by("account_id")
        .agg(acct_enforced_link_count=pl.col("enforced_id").n_unique())
    )
    # Most other organisations sharing one strong indicator with the account (payment, signup network, e-mail
    # domain, client). A shared public prompt template links unrelated customers, and so does lockstep timing on
    # one (a busy pipeline sending a public template meets a pool's buckets by chance).
    # Counted per indicator value, so the cost stays linear in edges.
    strong = strong_edges.join(accounts.select("account_id", "org_id"), on="account_id")
    per_value = strong.group_by("kind", "value").agg(n_orgs=pl.col("org_id").n_unique())
    cross = (
        strong.filter(pl.col("kind") != "wake")
        .join(per_value, on=["kind", "value"])
        .group_by("account_id")
        .agg(acct_cross_org_links=(pl.col("n_orgs") - 1).max())
    )
    # The same count over weak indicators: the most other organisations sending the account's main template, or
    # sending it in the same 10-minute windows. Evidence for the model, never a link on its own.
    weak = edges.filter(pl.col("kind").is_in(WEAK_KINDS)).join(accounts.select("account_id", "org_id"), on="account_id")
    weak_orgs = weak.group_by("kind", "value").agg(n_orgs=pl.col("org_id").n_unique())
    pool = (
        weak.join(weak_orgs, on=["kind", "value"])
        .group_by("account_id")
        .agg(acct_template_pool_orgs=(pl.col("n_orgs") - 1).max())
    )
    # The wake-up cohort on its own, apart from what the account shares with another organisation.
    woke = (
        strong.filter(pl.col("kind") == "wake")
        .join(per_value, on=["kind", "value"])
        .group_by("account_id")
        .agg(acct_woke_with_orgs=(pl.col("n_orgs") - 1).max())
    )
    created = accounts.select("org_id", "created_at")
    org_new = (
        created.filter(
            pl.col("created_at") >= pl.lit(day - timedelta(days=WINDOW_DAYS - 1)).cast(pl.Datetime("us", "UTC"))
        )
        .group_by("org_id")
        .agg(org_new_accounts_7d=pl.len())
    )
    org_size = created.group_by("org_id").agg(org_accounts_total=pl.len())
    return (
        ctx.join(links, on="account_id", how="left")
        .join(cross, on="account_id", how="left")
        .join(pool, on="account_id", how="left")
        .join(woke, on="account_id", how="left")
        .join(org_new, on="org_id", how="left")
        .join(org_size, on="org_id", how="left")
        .with_columns(
            pl.col("acct_enforced_link_count").fill_null(0).cast(pl.Int64),
            pl.col("acct_cross_org_links").fill_null(0).cast(pl.Int64),
            pl.col("acct_template_pool_orgs").fill_null(0).cast(pl.Int64),
            pl.col("acct_woke_with_orgs").fill_null(0).cast(pl.Int64),
            pl.col("org_new_accounts_7d").fill_null(0).cast(pl.Int64),
            pl.col("org_accounts_total").fill_null(0).cast(pl.Int64),
            acct_in_cluster=pl.col("cluster_id").is_not_null().cast(pl.Int32),
        )
        .drop("org_id")
        .sort("account_id")
    )
