-- One row per account: the strongest action in force the morning after the latest published day,
-- since when, until when, and why. Strength is the action's rank in action_ladder (models/policy.yaml); an action
-- no longer on the ladder ranks below every action on it.
create or replace view v_current_enforcement as
with as_of as (
    select max(effective_from) as as_of
    from enforcement_actions
),

unranked as (
    select max(rank) + 1 as rank
    from action_ladder
),

in_force as (
    select
        a.*,
        o.as_of,
        coalesce(l.rank, u.rank) as strength
    from enforcement_actions as a
    cross join as_of as o
    cross join unranked as u
    left join action_ladder as l on l.action = a.action
    where a.effective_from <= o.as_of and a.expires_at > o.as_of
),

strongest as (
    select
        account_id,
        min(strength) as strength
    from in_force
    group by account_id
),

chosen as (
    select f.*
    from in_force as f
    inner join strongest as s on s.account_id = f.account_id and s.strength = f.strength
),

spans as (
    select
        account_id,
        min(effective_from) as since,
        max(expires_at) as until,
        count(*) as decisions
    from chosen
    group by account_id
),

latest as (
    select *
    from chosen
    qualify row_number() over (partition by account_id order by date desc) = 1
),

final as (
    select
        l.account_id,
        l.org_id,
        l.action,
        p.since,
        p.until,
        l.date as decided_on,
        p.decisions,
        round(l.score, 3) as score,
        l.cluster_id,
        l.reasons,
        l.protection,
        l.policy_version,
        l.model_version,
        l.as_of,
        l.strength
    from latest as l
    inner join spans as p on p.account_id = l.account_id
)

select * exclude (strength) from final
order by strength, score desc, account_id
