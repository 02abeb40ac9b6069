-- Trailing 7-day account features for $day from account-day history (days $day-6 .. $day only).
with history as (
    select *
    from account_day_history
    where date between $day::date - 6 and $day::date
),

templates as (
    select *
    from template_history
    where date between $day::date - 6 and $day::date
),

template_firsts as (
    select account_id, template_id, min(date) as first_date
    from templates
    group by account_id, template_id
),

template_growth as (
    select
        account_id,
        avg(case when first_date = $day::date then 1.0 else 0.0 end) as acct_new_template_share_7d,
        count(*) filter (where first_date = $day::date) as acct_new_templates_1d
    from template_firsts
    where account_id in (select account_id from templates where date = $day::date)
    group by account_id
),

template_window as (
    select account_id, (max(n) / sum(n))::double as acct_top_template_share_7d
    from (select account_id, template_id, sum(n_requests) as n from templates group by all) as t
    group by account_id
),

volume_window as (
    select
        account_id,
        sum(acct_req_count_1d)::bigint as acct_req_count_7d,
        count(*)::bigint as acct_active_days_7d,
        sum(acct_output_tokens_1d)::bigint as acct_output_tokens_7d,
        list_sum(list_sort(list(acct_cot_rate_1d * acct_req_count_1d))) / sum(acct_req_count_1d) as acct_cot_rate_7d,
        list_sum(list_sort(list(acct_thinking_share_1d * acct_req_count_1d))) / sum(acct_req_count_1d)
            as acct_thinking_share_7d,
        max(acct_req_count_1d) as acct_peak_req_count_7d,
        (array_agg(date order by acct_req_count_1d desc, date desc))[1] as peak_date,
        max(acct_age_days) filter (where date = $day::date) as age_today
    from history
    group by account_id
),

final as (
    select
        v.account_id,
        v.acct_req_count_7d,
        v.acct_active_days_7d,
        v.acct_output_tokens_7d,
        v.acct_cot_rate_7d,
        v.acct_thinking_share_7d,
        v.acct_peak_req_count_7d,
        greatest(v.age_today - date_diff('day', v.peak_date, $day::date), 0) as acct_days_signup_to_peak_7d,
        coalesce(w.acct_top_template_share_7d, 0) as acct_top_template_share_7d,
        coalesce(g.acct_new_template_share_7d, 0) as acct_new_template_share_7d,
        coalesce(g.acct_new_templates_1d, 0) as acct_new_templates_1d
    from volume_window as v
    left join template_window as w on w.account_id = v.account_id
    left join template_growth as g on g.account_id = v.account_id
    where v.account_id in (select account_id from history where date = $day::date)
)

select * from final
order by account_id
