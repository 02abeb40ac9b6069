-- One row per cluster and day: follow a cluster across days (size, score, churn of members, actions taken).
create or replace view v_cluster_history as
with actions as (
    select date, cluster_id, count(*) filter (where action <> 'monitor') as accounts_actioned
    from enforcement_actions
    where cluster_id is not null
    group by date, cluster_id
),

final as (
    select
        c.cluster_id,
        c.date,
        c.n_accounts,
        round(c.score, 3) as score,
        c.cluster_n_orgs as n_orgs,
        c.cluster_active_accounts_1d as active_accounts,
        c.cluster_new_member_share_1d as new_member_share,
        c.cluster_enforced_members as enforced_members,
        coalesce(a.accounts_actioned, 0) as accounts_actioned,
        c.indicators
    from clusters as c
    left join actions as a on a.date = c.date and a.cluster_id = c.cluster_id
)

select * from final
order by cluster_id, date
