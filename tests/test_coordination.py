"""Coordination clusters: who gets linked, who does not, and ids that survive churn."""

from datetime import UTC, date, datetime, timedelta

import polars as pl

from features.coordination import coordinate

DAY = date(2026, 2, 10)
T = datetime(2026, 2, 1, 12, tzinfo=UTC)


def accounts(rows):
    base = {
        "org_id": None,
        "created_at": T,
        "tier": "free",
        "email_domain": "gmail.com",
        "payment_fingerprint": None,
        "signup_ip": None,
        "signup_asn": 7922,
        "country": "US",
        "verified": False,
    }
    out = []
    for i, r in enumerate(rows):
        row = {**base, "signup_ip": f"73.{i}.{i}.1", **r}
        row["org_id"] = row["org_id"] or f"org_{row['account_id']}"
        out.append(row)
    return pl.DataFrame(
        out,
        schema_overrides={
            "created_at": pl.Datetime("us", "UTC"),
            "signup_asn": pl.Int32,
            "payment_fingerprint": pl.String,
        },
    )


def features(ids, day=DAY, orgs=None):
    return pl.DataFrame(
        {
            "date": [day] * len(ids),
            "account_id": ids,
            "org_id": orgs or [f"org_{a}" for a in ids],
            "acct_req_count_1d": [100] * len(ids),
            "acct_cot_rate_1d": [0.5] * len(ids),
            "acct_thinking_share_1d": [0.9] * len(ids),
            "acct_hosting_asn_share_1d": [0.0] * len(ids),
            "acct_near_max_share_1d": [0.2] * len(ids),
            "acct_top_user_agent_1d": ["ua"] * len(ids),
            "acct_age_days": [400.0] * len(ids),
            "acct_distinct_asns_1d": [1] * len(ids),
        }
    )


def templates(rows, day=DAY):
    return pl.DataFrame(
        [
            {
                "date": day,
                "org_id": f"org_{a}",
                "any_cot": 0,
                "account_id": a,
                "template_id": t,
                "n_requests": n,
                "n_content": 0,
            }
            for a, t, n in rows
        ],
        schema_overrides={"template_id": pl.Int64, "n_requests": pl.Int64, "n_content": pl.Int64},
    )


EMPTY_SYNC = pl.DataFrame(
    schema={
        "date": pl.Date,
        "template_id": pl.Int64,
        "bucket": pl.Datetime("us", "UTC"),
        "account_id": pl.String,
        "n_requests": pl.Int64,
    }
)


def test_shared_payment_makes_a_cluster_and_singletons_stay_out():
    ids = ["a1", "a2", "a3", "b1", "b2"]
    acc = accounts([{"account_id": a, "payment_fingerprint": "pay_x" if a.startswith("a") else None} for a in ids])
    r = coordinate(DAY, acc, features(ids), templates([(a, 100 + i, 10) for i, a in enumerate(ids)]), EMPTY_SYNC)
    assert r.members["account_id"].to_list() == ["a1", "a2", "a3"]
    c = r.clusters.row(0, named=True)
    assert c["n_accounts"] == 3 and c["cluster_payment_max_shared"] == 3 and c["cluster_n_orgs"] == 3
    assert any("payment" in s for s in c["indicators"])
    ctx = {row["account_id"]: row for row in r.context.iter_rows(named=True)}
    assert (
        ctx["a1"]["cluster_n_accounts"] == 3
        and ctx["b1"]["cluster_n_accounts"] == 0
        and ctx["b1"]["cluster_id"] is None
    )


def test_template_that_is_everyones_main_job_across_orgs_is_pool_evidence_and_a_popular_side_template_is_not():
    farm = [f"f{i}" for i in range(4)]
    casual = [f"c{i}" for i in range(6)]
    rows = [(a, 7, 50) for a in farm]  # the farm's one template: all of their traffic
    rows += [(a, 9, 1) for a in casual] + [
        (a, 1000 + i, 20) for i, a in enumerate(casual)
    ]  # popular greeting, 5% of traffic
    acc = accounts([{"account_id": a} for a in farm + casual])
    r = coordinate(DAY, acc, features(farm + casual), templates(rows), EMPTY_SYNC)
    pool = dict(r.context.select("account_id", "acct_template_pool_orgs").iter_rows())
    assert {a: pool[a] for a in farm} == dict.fromkeys(farm, 3)
    assert {a: pool[a] for a in casual} == dict.fromkeys(casual, 0)
    # A shared template alone never makes a cluster: unrelated customers send public templates too.
    assert r.members.is_empty()


def test_a_campaign_template_mixed_into_several_fronts_traffic_is_content_template_evidence():
    fronts = ["r1", "r2", "r3"]  # resellers: the campaign's template is a tenth of each one's traffic
    lab, judge, probers = "lab", "judge", ["p1", "p2", "p3"]
    rows = [(a, 1000 + i * 100 + k, 30) for i, a in enumerate([*fronts, lab, judge]) for k in range(9)]
    tpl = templates(rows)
    sent = [  # (account, template, requests, of them with extraction content)
        *[(a, 77, 30, 30) for a in fronts],
        (lab, 88, 30, 30),  # a red team's probes: fresh attack pools send the same ones
        *[(p, 88, 40, 40) for p in probers],
        ("echo", 99, 30, 0),  # a shared template without extraction content
        ("casual", 99, 30, 0),
        (judge, 66, 30, 30),  # a customer sends the judge's template with extraction content only in passing
        ("casual", 66, 300, 12),
    ]
    content = pl.DataFrame(sent, schema=["account_id", "template_id", "n_requests", "n_content"], orient="row")
    content = content.with_columns(date=pl.lit(DAY), org_id=pl.format("org_{}", "account_id"), any_cot=pl.lit(0))
    tpl = pl.concat([tpl, content.select(tpl.columns)], how="vertical_relaxed")
    ids = [*fronts, lab, judge, *probers, "casual", "echo"]
    settled = {"verified": True, "created_at": datetime(2025, 1, 1, tzinfo=UTC)}
    acc = accounts([{"account_id": a, **(settled if a not in probers else {})} for a in ids])
    r = coordinate(DAY, acc, features(ids), tpl, EMPTY_SYNC)
    orgs = dict(r.context.select("account_id", "acct_content_template_orgs").iter_rows())
    assert {a: orgs[a] for a in fronts} == dict.fromkeys(fronts, 2)
    assert orgs[lab] == 0 and orgs[judge] == 0 and orgs["casual"] == 0 and orgs["echo"] == 0
    # The probers see the red team's settled organisation (evidence for the model, as for any account).
    assert {orgs[p] for p in probers} == {1}
    # Unverified or new fronts do not count for each other.
    fresh = accounts([{"account_id": a} for a in ids])
    r = coordinate(DAY, fresh, features(ids), tpl, EMPTY_SYNC)
    assert r.context.filter(pl.col("acct_content_template_orgs") > 0).is_empty()
    # Evidence on the account only: the fronts share nothing else, so no cluster.
    assert r.members.is_empty()


def test_template_shared_across_orgs_does_not_chain_two_payment_pools_into_one_cluster():
    pool_a, pool_b = ["a1", "a2", "a3"], ["b1", "b2", "b3"]
    acc = accounts([{"account_id": a, "payment_fingerprint": f"pay_{a[0]}"} for a in pool_a + pool_b])
    r = coordinate(DAY, acc, features(pool_a + pool_b), templates([(a, 7, 50) for a in pool_a + pool_b]), EMPTY_SYNC)
    clusters = r.members.group_by("cluster_id").agg(pl.col("account_id").sort())["account_id"].to_list()
    assert sorted(clusters) == [pool_a, pool_b]
    # The template still shows among each cluster's indicators.
    assert all(any("template" in s for s in ind) for ind in r.clusters["indicators"])


def test_lockstep_buckets_count_as_pool_evidence_and_describe_a_payment_cluster():
    ids = ["x1", "x2", "x3"]
    bucket = [datetime(2026, 2, 10, h, 0, tzinfo=UTC) for h in (1, 2, 3)]
    sync = pl.DataFrame(
        [{"date": DAY, "template_id": 5, "bucket": b, "account_id": a, "n_requests": 4} for a in ids for b in bucket],
        schema_overrides={"bucket": pl.Datetime("us", "UTC"), "template_id": pl.Int64, "n_requests": pl.Int64},
    )
    # The template is a fifth of each account's traffic: too little for the template indicator, enough for lockstep.
    tpl = templates([(a, 5, 12) for a in ids] + [(a, 50 + i * 10 + k, 12) for i, a in enumerate(ids) for k in range(4)])
    r = coordinate(DAY, accounts([{"account_id": a} for a in ids]), features(ids), tpl, sync)
    assert r.members.is_empty()
    assert r.context["acct_template_pool_orgs"].to_list() == [2, 2, 2]
    paid = accounts([{"account_id": a, "payment_fingerprint": "pay_x"} for a in ids])
    r = coordinate(DAY, paid, features(ids), tpl, sync)
    assert sorted(r.members["account_id"]) == ids
    assert any("10-minute" in s for s in r.clusters["indicators"][0])


def test_cluster_id_survives_churn_and_replacements_inherit_enforcement():
    day1, day2 = DAY, DAY + timedelta(days=1)
    old = ["h1", "h2", "h3"]
    acc = accounts([{"account_id": a, "payment_fingerprint": "pay_pool"} for a in old + ["h4", "h5"]])
    r1 = coordinate(day1, acc, features(old, day1), templates([(a, 1, 5) for a in old], day1), EMPTY_SYNC)
    cid = r1.members["cluster_id"][0]
    # Day 2: h1..h3 were suspended and went quiet; fresh h4, h5 appear on the same payment instrument.
    feats = pl.concat([features(old, day1), features(["h4", "h5"], day2)])
    tpl = pl.concat([templates([(a, 1, 5) for a in old], day1), templates([(a, 1, 5) for a in ["h4", "h5"]], day2)])
    r2 = coordinate(
        day2,
        acc,
        feats,
        tpl,
        EMPTY_SYNC,
        previous_members=r1.members,
        enforced_accounts=pl.DataFrame({"account_id": old}),
    )
    assert set(r2.members["cluster_id"]) == {cid}
    ctx = {row["account_id"]: row for row in r2.context.iter_rows(named=True)}
    assert ctx["h4"]["acct_enforced_link_count"] == 3 and ctx["h4"]["cluster_enforced_before"] == 1
    assert ctx["h4"]["cluster_new_member_share_1d"] == 1.0


def test_rows_after_the_day_are_ignored():
    ids = ["a1", "a2", "a3"]
    acc = accounts([{"account_id": a, "payment_fingerprint": "p"} for a in ids])
    later = features(ids, DAY + timedelta(days=1))
    r = coordinate(DAY, acc, pl.concat([features(ids[:1]), later]), templates([("a1", 1, 1)]), EMPTY_SYNC)
    assert r.members.is_empty(), "accounts active only after the day cannot form that day's cluster"


def test_a_shared_university_domain_links_nobody():
    from features.coordination import static_indicators

    acc = pl.DataFrame(
        {
            "account_id": ["student", "pool"],
            "email_domain": ["state-tech.edu", "state-tech.edu"],
            "payment_fingerprint": [None, None],
            "signup_ip": ["10.0.0.1", "99.0.0.1"],
            "signup_asn": [7922, 7922],
            "created_at": [T, T],
        },
        schema_overrides={"payment_fingerprint": pl.String},
    )
    kinds = set(static_indicators(acc)["kind"])
    assert "email_domain" not in kinds, "a university's domain is public, like webmail"


def test_a_cloud_network_links_sign_ups_only_through_the_same_client():
    from features.reference import HOSTING_ASNS

    cloud = sorted(HOSTING_ASNS)[0]
    # An enterprise's SSO client behind a cloud NAT, and a pool renting a machine in the same /24, the same week.
    rollout, ids = ["r1", "r2", "r3"], ["r1", "r2", "r3", "pool1"]
    rows = [{"account_id": a, "org_id": "org_corp" if a in rollout else None} for a in ids]
    acc = accounts([{**r, "signup_ip": "95.216.7.10", "signup_asn": cloud} for r in rows])
    agents = pl.Series(["corp-sso/2.1"] * 3 + ["farm/1"])
    feats = features(ids, orgs=["org_corp"] * 3 + ["org_pool1"]).with_columns(acct_top_user_agent_1d=agents)
    tpl = templates([(a, 100 + i, 10) for i, a in enumerate(ids)])
    r = coordinate(DAY, acc, feats, tpl, EMPTY_SYNC)
    assert sorted(r.members["account_id"]) == rollout
    assert r.context.filter(pl.col("account_id") == "pool1")["acct_cross_org_links"].to_list() == [0]
    # The same /24 on a residential or office network still links.
    acc = accounts([{**r, "signup_ip": "73.1.1.10", "signup_asn": 7922} for r in rows])
    assert sorted(coordinate(DAY, acc, feats, tpl, EMPTY_SYNC).members["account_id"]) == sorted(ids)


# --- a bought pool woken at once -------------------------------------------------------------------------------------


def _relay_history(day_pool, pool=60, relay=40, days=7, rotating=True):
    """A window of 7 days: ``relay`` aged accounts behind rotating exits, each back after a gap now and then (one in
    ten skips a day), and a pool of ``pool`` aged accounts silent until ``day_pool``, then active every day."""
    first = DAY - timedelta(days=days - 1)
    rows = []
    for k in range(days):
        d = first + timedelta(days=k)
        relay_today = [f"relay{i:03d}" for i in range(relay) if (i + k) % 10 != 0]
        # One in ten of the pool straggles in a day late.
        pool_today = [f"pool{i:03d}" for i in range(pool) if d >= day_pool + timedelta(days=int(i % 10 == 9))]
        f = features(relay_today + pool_today, d)
        rows.append(f.with_columns(acct_distinct_asns_1d=pl.lit(6 if rotating else 1)))
    feats = pl.concat(rows)
    ids = feats["account_id"].unique().sort().to_list()
    return accounts([{"account_id": a} for a in ids]), feats


def _context(acc, feats, day=DAY):
    r = coordinate(day, acc, feats, templates([("relay000", 1, 1)]), EMPTY_SYNC)
    return r, dict(r.context.select("account_id", "acct_woke_with_orgs").iter_rows())


def test_a_pool_of_aged_accounts_woken_on_one_day_behind_rotating_exits_is_one_cluster():
    acc, feats = _relay_history(day_pool=DAY - timedelta(days=1))
    r, woke = _context(acc, feats)
    pool = [f"pool{i:03d}" for i in range(60)]
    assert r.members.filter(pl.col("account_id").is_in(pool))["cluster_id"].n_unique() == 1
    assert {woke[a] for a in pool} == {59}  # stragglers included
    # The relay's own users come back after a gap every day, a few at a time: nobody links them.
    assert not any(woke[a] for a in woke if a.startswith("relay"))
    assert r.members.filter(pl.col("account_id").str.starts_with("relay")).is_empty()
    assert any("came back from silence" in t for t in r.clusters["indicators"].explode().to_list())


def test_no_wake_link_without_rotating_exits_a_big_enough_day_or_an_earlier_day_to_compare_with():
    # A lab's aged accounts starting a benchmark together leave from their own network.
    acc, feats = _relay_history(day_pool=DAY - timedelta(days=1), rotating=False)
    assert not any(_context(acc, feats)[1].values())
    # Fewer than min_orgs back on one day.
    acc, feats = _relay_history(day_pool=DAY, pool=12)
    assert not any(_context(acc, feats)[1].values())
    # The warehouse's third day: today's accounts were silent on the two days before, but nothing says what is usual.
    acc, feats = _relay_history(day_pool=DAY, days=3)
    assert not any(_context(acc, feats)[1].values())
    # Back after one silent day only: skipping a day is not coming back from silence.
    acc, feats = _relay_history(day_pool=DAY - timedelta(days=4))
    assert not any(_context(acc, feats)[1].values())
    # Fresh accounts starting out are not coming back from silence.
    acc, feats = _relay_history(day_pool=DAY - timedelta(days=1))
    feats = feats.with_columns(
        acct_age_days=pl.when(pl.col("account_id").str.starts_with("pool")).then(2.0).otherwise(400.0)
    )
    assert not any(_context(acc, feats)[1].values())


def test_a_pool_woken_the_day_after_another_is_still_seen():
    # The median of the earlier days, not their mean: yesterday's pool does not hide today's.
    _, f1 = _relay_history(day_pool=DAY - timedelta(days=1))
    _, f2 = _relay_history(day_pool=DAY, pool=30)
    second = f2.filter(pl.col("account_id").str.starts_with("pool")).with_columns(
        account_id=pl.lit("second-") + pl.col("account_id"), org_id=pl.lit("org_second-") + pl.col("account_id")
    )
    feats = pl.concat([f1, second])
    acc = accounts([{"account_id": a} for a in feats["account_id"].unique().sort()])  # signup networks all apart
    r, woke = _context(acc, feats)
    # Today's pool: 27 on time (3 straggle in tomorrow) with the first pool's 6 stragglers, the nearest pool day.
    assert woke["second-pool000"] == 32 and woke["pool000"] == 53  # its 54 on time
    cluster = dict(r.members.select("account_id", "cluster_id").iter_rows())
    assert cluster["second-pool000"] != cluster["pool000"] == cluster["pool001"]


def test_a_pool_stays_linked_while_its_day_is_in_the_wake_memory():
    # Twelve days after the pool was woken its day has left the 7-day window, not the 28 days of memory.
    acc, history = _relay_history(day_pool=DAY - timedelta(days=12), days=20)
    window = history.filter(pl.col("date") >= DAY - timedelta(days=6))
    r = coordinate(DAY, acc, window, templates([("relay000", 1, 1)]), EMPTY_SYNC, activity=history.lazy())
    woke = dict(r.context.select("account_id", "acct_woke_with_orgs").iter_rows())
    assert woke["pool000"] == 59 and not any(woke[a] for a in woke if a.startswith("relay"))
    # The window alone has no silent day before the pool's: nothing links.
    assert not any(_context(acc, window)[1].values())
