-- Release-day context for accounts active on $day: the share of their requests to a model released in the
-- last 14 days, and days since the latest release known by the end of $day (`releases`, the calendar).
with known as (
    select model, min(released_at) as released_at
    from releases
    where released_at < ($day::date + 1)::timestamptz
    group by model
),

latest as (
    select max(released_at) as released_at
    from known
),

per_account as (
    select
        r.account_id,
        avg(case when k.released_at >= ($day::date - 13)::timestamptz then 1.0 else 0.0 end) as acct_new_model_share_1d
    from derived as r
    left join known as k on k.model = r.model
    group by r.account_id
),

final as (
    select
        p.account_id,
        p.acct_new_model_share_1d,
        least(coalesce(date_diff('day', l.released_at::date, $day::date), 365), 365) as release_days_since
    from per_account as p
    cross join latest as l
)

select * from final
order by account_id
