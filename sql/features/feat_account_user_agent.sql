-- The account's most frequent client string on the day (ties broken by name, for determinism).
with counts as (
    select account_id, user_agent, count(*) as n
    from derived
    group by account_id, user_agent
),

final as (
    select account_id, (array_agg(user_agent order by n desc, user_agent))[1] as acct_top_user_agent_1d
    from counts
    group by account_id
)

select * from final
