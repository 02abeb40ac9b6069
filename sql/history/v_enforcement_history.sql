-- One account's enforcement across every published version of each day: the current rows and the rows a
-- republication superseded, with when, why and by which model each version was published.
create view v_enforcement_history as
with current_rows as (
    select
        ea.*,
        true as is_current
    from enforcement_actions as ea
),

superseded_rows as (
    select
        sea.*,
        false as is_current
    from superseded_enforcement_actions as sea
),

versions as (
    select * from current_rows
    union all by name
    select * from superseded_rows
),

log as (
    select
        pl.run_id,
        pl.trigger,
        pl.reason,
        pl.finished_at as published_at
    from publication_log as pl
    where pl.scenario is null
),

final as (
    select
        v.date,
        v.account_id,
        v.org_id,
        v.action,
        v.score,
        v.model_version,
        v.policy_version,
        v.run_id,
        v.is_current,
        l.trigger,
        l.reason,
        l.published_at
    from versions as v
    left join log as l on v.run_id = l.run_id
)

select * from final
order by account_id, date, is_current, published_at
