-- Actions for the latest published day, strongest first (action_ladder, from models/policy.yaml), with reasons:
-- what access control applies this morning.
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
        a.model_version,
        r.rank as action_rank
    from enforcement_actions as a
    inner join latest as l on l.date = a.date
    left join action_ladder as r on r.action = a.action
)

select * exclude (action_rank) from final
order by action_rank nulls last, score desc, account_id
