-- Accounts sending the same template in the same 10-minute bucket (lockstep activity, CopyCatch-style).
-- Only templates used by several accounts that day can synchronise, so the rest are dropped early.
with shared_templates as (
    select template_id
    from derived
    group by template_id
    having count(distinct account_id) >= 2
),

final as (
    select
        $day::date as date,
        d.template_id,
        time_bucket(interval 10 minute, d.ts) as bucket,
        d.account_id,
        count(*) as n_requests
    from derived as d
    semi join shared_templates as s on s.template_id = d.template_id
    group by d.template_id, time_bucket(interval 10 minute, d.ts), d.account_id
)

select * from final
order by template_id, bucket, account_id
