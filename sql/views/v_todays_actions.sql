-- Actions for the latest published day, strongest first, with reasons: what access control applies this morning.
create or replace view v_todays_actions as
with latest as (
    select max(date) as date
    from enforcement_actions
),

final as (
    select
        a.date,
        a.account_id,
        a.org_id,
        a.action,
        round(a.score, 3) as score,
        a.risk_band,
        a.cluster_id,
        a.reasons,
        a.effective_from,
        a.expires_at,
        a.model_version
    from enforcement_actions as a
    inner join latest as l on l.date = a.date
)

select * from final
order by
    case action
        when 'suspend' then 1 when 'degrade_reasoning' then 2 when 'require_verification' then 3
        when 'human_review' then 4 when 'rate_limit' then 5 else 6
    end,
    score desc,
    account_id
