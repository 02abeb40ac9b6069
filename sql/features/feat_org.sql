-- Organisation context for every account in the $day snapshot (`accounts`): the organisation's size, growth
-- and age, tier mix, verification, whether it signs in under one corporate domain of its own (SSO), and
-- whether the account's payment instrument is shared inside one organisation or across several.
with org_domains as (
    select org_id, email_domain, count(*) as n
    from accounts
    group by org_id, email_domain
),

domain_orgs as (
    select email_domain, count(distinct org_id) as n_orgs
    from accounts
    group by email_domain
),

org_top_domain as (
    select
        org_id,
        max(n) / sum(n) as org_top_domain_share,
        (array_agg(email_domain order by n desc, email_domain))[1] as top_domain
    from org_domains
    group by org_id
),

payment_use as (
    select payment_fingerprint, count(distinct org_id) as n_orgs, count(*) as n_accounts
    from accounts
    where payment_fingerprint is not null
    group by payment_fingerprint
),

orgs as (
    select
        org_id,
        date_diff('hour', min(created_at), ($day::date + 1)::timestamptz) / 24.0 as org_age_days,
        -- a share over one account is only that account's age (acct_age_days); null keeps a fresh one-account
        -- organisation apart from an organisation whose many accounts are all new (a class, a roll-out)
        case
            when count(*) > 1
                then avg(case when created_at >= ($day::date - 6)::timestamptz then 1.0 else 0.0 end)
        end as org_new_account_share_7d,
        avg(verified::int) as org_verified_share,
        avg(case when tier in ('enterprise', 'scale') then 1.0 else 0.0 end) as org_enterprise_tier_share,
        avg(case when tier in ('free', 'edu', 'startup', 'research') then 1.0 else 0.0 end) as org_risky_tier_share,
        count(distinct payment_fingerprint) as org_payment_instruments
    from accounts
    group by org_id
),

final as (
    select
        a.account_id,
        o.org_age_days,
        o.org_new_account_share_7d,
        o.org_verified_share,
        o.org_enterprise_tier_share,
        o.org_risky_tier_share,
        o.org_payment_instruments,
        t.org_top_domain_share,
        (w.email_domain is null and d.n_orgs = 1 and t.org_top_domain_share >= 0.9)::int as org_corporate_domain,
        coalesce(p.n_orgs, 0) as acct_payment_orgs,
        coalesce(p.n_accounts, 0) as acct_payment_accounts
    from accounts as a
    inner join orgs as o on o.org_id = a.org_id
    inner join org_top_domain as t on t.org_id = a.org_id
    inner join domain_orgs as d on d.email_domain = t.top_domain
    left join ref_webmail_domain as w on w.email_domain = t.top_domain
    left join payment_use as p on p.payment_fingerprint = a.payment_fingerprint
)

select * from final
order by account_id
