-- One row per account active on $day: volume, timing, errors, infrastructure, metadata and content.
-- Reads `derived` (the day's derived requests) and `accounts` (the day's snapshot). Everything here is per
-- account, so large days run it on account-hash buckets of `derived`; organisation totals follow in
-- feat_account_org.sql over all buckets' rows.
with req as (
    select
        r.*,
        a.country as billing_country,
        coalesce(tz.utc_offset_hours, 0) as utc_offset_hours,
        h.asn is not null as is_hosting_asn
    from derived as r
    left join accounts as a on a.account_id = r.account_id
    left join ref_country_offset as tz on tz.country = a.country
    left join ref_hosting_asn as h on h.asn = r.asn
),

volume as (
    select
        account_id,
        min(org_id) as org_id,
        count(*) as acct_req_count_1d,
        sum(input_tokens)::bigint as acct_input_tokens_1d,
        sum(output_tokens)::bigint as acct_output_tokens_1d,
        sum(output_tokens) / greatest(sum(input_tokens), 1) as acct_out_in_ratio_1d,
        avg(
            case when status = 200 and output_tokens >= 0.95 * max_tokens then 1.0 else 0.0 end
        ) as acct_near_max_share_1d,
        avg(case when thinking_budget is not null then 1.0 else 0.0 end) as acct_thinking_share_1d,
        coalesce(avg(thinking_budget), 0) as acct_thinking_budget_mean_1d,
        avg(max_tokens) as acct_max_tokens_mean_1d,
        avg(case when endpoint = 'batch' then 1.0 else 0.0 end) as acct_batch_share_1d,
        count(distinct model) as acct_models_1d,
        count(distinct hour(ts)) as acct_active_hours_1d,
        avg(case when (hour(ts) + utc_offset_hours + 24) % 24 < 6 then 1.0 else 0.0 end) as acct_night_share_1d,
        avg(case when status = 429 then 1.0 else 0.0 end) as acct_429_share_1d,
        avg(case when status between 400 and 499 and status <> 429 then 1.0 else 0.0 end) as acct_4xx_share_1d,
        avg(case when status >= 500 then 1.0 else 0.0 end) as acct_5xx_share_1d,
        count(distinct ip) as acct_distinct_ips_1d,
        count(distinct asn) as acct_distinct_asns_1d,
        count(distinct api_key_id) as acct_distinct_keys_1d,
        count(distinct user_agent) as acct_distinct_uas_1d,
        avg(case when is_hosting_asn then 1.0 else 0.0 end) as acct_hosting_asn_share_1d,
        avg(
            case
                when billing_country is not null and country is not null and country <> billing_country then 1.0
                else 0.0
            end
        ) as acct_country_mismatch_share_1d,
        avg(case when system_prompt_id is not null then 1.0 else 0.0 end) as acct_system_prompt_share_1d,
        avg(m_cot::int) as acct_cot_rate_1d,
        avg(m_rubric::int) as acct_rubric_rate_1d,
        avg(m_lang_coercion::int) as acct_lang_coercion_rate_1d,
        avg(m_maxout::int) as acct_maxout_rate_1d,
        avg(m_probe::int) as acct_probe_rate_1d,
        avg(m_rewrite::int) as acct_rewrite_rate_1d,
        avg(prompt_chars) as acct_prompt_chars_mean_1d
    from req
    group by account_id
),

hour_counts as (
    select account_id, hour(ts) as hour_utc, count(*) as n
    from req
    group by account_id, hour(ts)
),

-- float sums over sorted lists: the same bits whatever order parallel aggregation meets the rows in
hour_entropy as (
    select account_id, -list_sum(list_sort(list(p * log2(p)))) as acct_hour_entropy_1d
    from (select account_id, n / sum(n) over (partition by account_id) as p from hour_counts) as shares
    group by account_id
),

bursts as (
    select account_id, max(n) as max_5min
    from (select account_id, time_bucket(interval 5 minute, ts) as bucket, count(*) as n from req group by all) as b
    group by account_id
),

-- exact integer moments of microsecond gaps (hugeint sums), one float division at the end
gaps as (
    select
        account_id,
        sqrt(greatest(count(*) * sum(gap::hugeint * gap) - sum(gap::hugeint) * sum(gap::hugeint), 0)::double)
        / nullif(sum(gap::hugeint), 0)::double as acct_interarrival_cv_1d
    from (
        select
            account_id,
            epoch_us(ts) - lag(epoch_us(ts)) over (partition by account_id order by ts, request_id) as gap
        from req
    ) as g
    where gap is not null
    group by account_id
),

template_counts as (
    select account_id, template_id, count(*) as n
    from req
    group by account_id, template_id
),

template_stats as (
    select
        account_id,
        max(p) as acct_top_template_share_1d,
        -list_sum(list_sort(list(p * log2(p)))) as acct_template_entropy_1d,
        count(*) as acct_distinct_templates_1d
    from (select account_id, n / sum(n) over (partition by account_id) as p from template_counts) as t
    group by account_id
),

prefix_stats as (
    select account_id, max(n) / sum(n) as acct_top_prefix_share_1d
    from (select account_id, prefix_id, count(*) as n from req group by all) as p
    group by account_id
),

neardup as (
    select account_id, sum(case when n >= 2 then n else 0 end) / sum(n) as acct_neardup_rate_1d
    from (select account_id, neardup_sig, count(*) as n from req group by all) as s
    group by account_id
),

system_templates as (
    select account_id, max(n) / sum(n) as acct_top_system_template_share_1d, count(*) as acct_distinct_system_prompts_1d
    from (
        select account_id, system_prompt_id, count(*) as n from req where system_prompt_id is not null group by all
    ) as s
    group by account_id
),

capabilities as (
    select
        account_id,
        (array_agg(capability order by n desc, capability))[1] as acct_top_capability_1d,
        max(n) / sum(n) as acct_top_capability_share_1d
    from (select account_id, capability, count(*) as n from req group by all) as c
    group by account_id
),

metadata as (
    select
        a.account_id,
        date_diff('hour', a.created_at, ($day::date + 1)::timestamptz) / 24.0 as acct_age_days,
        a.tier as acct_tier,
        a.verified::int as acct_verified,
        (a.payment_fingerprint is not null)::int as acct_payment_present,
        (w.email_domain is not null)::int as acct_webmail,
        (
            a.email_domain like '%.edu' or a.email_domain like '%.edu.%' or a.email_domain like '%.ac.%'
        )::int as acct_edu_email,
        (h.asn is not null)::int as acct_signup_hosting
    from accounts as a
    left join ref_webmail_domain as w on w.email_domain = a.email_domain
    left join ref_hosting_asn as h on h.asn = a.signup_asn
),

final as (
    select
        $day::date as date,
        v.account_id,
        v.org_id,
        v.* exclude (account_id, org_id),
        e.acct_hour_entropy_1d,
        b.max_5min / v.acct_req_count_1d as acct_burst_5min_share_1d,
        coalesce(g.acct_interarrival_cv_1d, 0) as acct_interarrival_cv_1d,
        t.acct_top_template_share_1d,
        t.acct_template_entropy_1d,
        1000.0 * t.acct_distinct_templates_1d / v.acct_req_count_1d as acct_templates_per_1k_1d,
        p.acct_top_prefix_share_1d,
        n.acct_neardup_rate_1d,
        coalesce(s.acct_top_system_template_share_1d, 0) as acct_top_system_prompt_share_1d,
        coalesce(s.acct_distinct_system_prompts_1d, 0) as acct_distinct_system_prompts_1d,
        c.acct_top_capability_1d,
        c.acct_top_capability_share_1d,
        m.* exclude (account_id)
    from volume as v
    left join hour_entropy as e on e.account_id = v.account_id
    left join bursts as b on b.account_id = v.account_id
    left join gaps as g on g.account_id = v.account_id
    left join template_stats as t on t.account_id = v.account_id
    left join prefix_stats as p on p.account_id = v.account_id
    left join neardup as n on n.account_id = v.account_id
    left join system_templates as s on s.account_id = v.account_id
    left join capabilities as c on c.account_id = v.account_id
    left join metadata as m on m.account_id = v.account_id
)

select * from final
order by account_id
