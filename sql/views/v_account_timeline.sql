-- One row per account and day: volume, score, band, action and reasons (filter on account_id).
create or replace view v_account_timeline as
with final as (
    select
        s.account_id,
        s.date,
        s.org_id,
        f.acct_req_count_1d as requests,
        f.acct_top_template_share_1d as top_template_share,
        f.acct_cot_rate_1d as cot_rate,
        round(s.score, 3) as score,
        s.risk_band,
        a.action,
        s.cluster_id,
        s.reasons,
        s.model_version
    from account_scores as s
    left join account_features as f on f.date = s.date and f.account_id = s.account_id
    left join enforcement_actions as a on a.date = s.date and a.account_id = s.account_id
)

select * from final
order by account_id, date
