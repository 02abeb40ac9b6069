-- One row per cluster and day: follow a cluster across days (size, growth, churn of members, score, actions taken).
-- Actioned: any action stronger than the weakest rung of action_ladder (models/policy.yaml), i.e. more than watched.
create or replace view v_cluster_history as
with weakest as (
    select max(rank) as rank
    from action_ladder
),

actions as (
    select
        a.date,
        a.cluster_id,
        count(*) filter (where l.rank < w.rank) as accounts_actioned
    from enforcement_actions as a
    cross join weakest as w
    left join action_ladder as l on l.action = a.action
    where a.cluster_id is not null
    group by a.date, a.cluster_id
),

joined as (
    select
        t.date,
        t.cluster_id,
        count(*) filter (where y.account_id is null) as new_members
    from cluster_members as t
    left join cluster_members as y
        on y.cluster_id = t.cluster_id and y.account_id = t.account_id and y.date = t.date - 1
    group by t.date, t.cluster_id
),

departed as (
    select
        y.date + 1 as date,
        y.cluster_id,
        count(*) filter (where t.account_id is null) as members_lost
    from cluster_members as y
    left join cluster_members as t
        on t.cluster_id = y.cluster_id and t.account_id = y.account_id and t.date = y.date + 1
    group by y.date, y.cluster_id
),

born as (
    select
        cluster_id,
        min(date) as first_seen
    from clusters
    group by cluster_id
),

final as (
    select
        c.cluster_id,
        c.date,
        c.n_accounts,
        coalesce(j.new_members, 0) as new_members,
        coalesce(d.members_lost, 0) as members_lost,
        c.date - b.first_seen + 1 as days_alive,
        round(c.score, 3) as score,
        c.cluster_n_orgs as n_orgs,
        c.cluster_active_accounts_1d as active_accounts,
        c.cluster_new_member_share_1d as new_member_share,
        c.cluster_enforced_members as enforced_members,
        coalesce(a.accounts_actioned, 0) as accounts_actioned,
        c.indicators
    from clusters as c
    inner join born as b on b.cluster_id = c.cluster_id
    left join joined as j on j.date = c.date and j.cluster_id = c.cluster_id
    left join departed as d on d.date = c.date and d.cluster_id = c.cluster_id
    left join actions as a on a.date = c.date and a.cluster_id = c.cluster_id
)

select * from final
order by cluster_id, date
