-- Organisation totals of the day over the per-account rows of feat_account_day.sql (all buckets), which
-- arrive as `account_day_rows`.
with final as (
    select
        a.*,
        count(*) over (partition by a.org_id) as org_active_accounts_1d,
        (sum(a.acct_req_count_1d) over (partition by a.org_id))::bigint as org_req_count_1d
    from account_day_rows as a
)

select * from final
order by account_id
