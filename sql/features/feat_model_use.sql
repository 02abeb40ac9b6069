-- Requests per model on the day and the first of them: the traffic's own record of when a model came into use,
-- from which features/releases.py dates the releases that the calendar (`<raw>/releases`) does not list.
with final as (
    select
        $day::date as date,
        model,
        count(*) as n_requests,
        min(ts) as first_ts
    from derived
    group by model
)

select * from final
order by model
