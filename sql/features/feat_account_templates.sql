-- Template use per account on $day, kept as history for new-template growth and cross-org sharing.
with final as (
    select
        $day::date as date,
        account_id,
        min(org_id) as org_id,
        template_id,
        count(*) as n_requests,
        max(m_cot::int) as any_cot
    from derived
    group by account_id, template_id
)

select * from final
order by account_id, template_id
