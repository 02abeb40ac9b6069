-- How far each cluster reached: first and last day seen, distinct members and organisations, peak size.
create or replace view v_campaign_spread as
with members as (
    select cluster_id, min(date) as first_seen, max(date) as last_seen,
           count(distinct account_id) as distinct_accounts
    from cluster_members
    group by cluster_id
),

sizes as (
    select cluster_id, max(n_accounts) as peak_accounts, max(cluster_n_orgs) as peak_orgs, max(score) as peak_score
    from clusters
    group by cluster_id
),

final as (
    select
        m.cluster_id,
        m.first_seen,
        m.last_seen,
        m.last_seen - m.first_seen + 1 as days_alive,
        m.distinct_accounts,
        s.peak_accounts,
        s.peak_orgs,
        round(s.peak_score, 3) as peak_score
    from members as m
    inner join sizes as s on s.cluster_id = m.cluster_id
)

select * from final
order by distinct_accounts desc, cluster_id
