-- Template use per account on $day, kept as history for new-template growth and cross-org sharing
-- (n_content: requests carrying any extraction content marker, for campaign templates mixed into other traffic).
with final as (
    select
        $day::date as date,
        account_id,
        min(org_id) as org_id,
        template_id,
        count(*) as n_requests,
        max(m_cot::int) as any_cot,
        count_if(m_cot or m_rubric or m_probe or m_lang_coercion or m_maxout or m_rewrite) as n_content
    from derived
    group by account_id, template_id
)

select * from final
order by account_id, template_id
