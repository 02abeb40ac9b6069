-- Accounts sending the same template in the same 10-minute bucket as accounts of at least two other
-- organisations (lockstep activity, CopyCatch-style). Only templates an account sends at least three
-- times that day, in such crowded cells, are kept, which keeps the history small however large the day.
with repeated as (
    select account_id, template_id
    from derived
    group by account_id, template_id
    having count(*) >= 3
),

cells as (
    select
        template_id,
        time_bucket(interval 10 minute, ts) as bucket,
        account_id,
        min(org_id) as org_id,
        count(*) as n_requests
    from derived
    semi join repeated using (account_id, template_id)
    group by template_id, time_bucket(interval 10 minute, ts), account_id
),

crowded as (
    select template_id, bucket
    from cells
    group by template_id, bucket
    having count(distinct org_id) >= 3
),

final as (
    select $day::date as date, c.template_id, c.bucket, c.account_id, c.n_requests
    from cells as c
    semi join crowded as k on k.template_id = c.template_id and k.bucket = c.bucket
)

select * from final
order by template_id, bucket, account_id
