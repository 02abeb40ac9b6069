-- What a what-if scenario would have done differently from what was published: actions gained, lost and
-- changed, per scenario, day and account (days the scenario covers only).
create view v_scenario_action_changes as
with scenario_days as (
    select distinct
        sas.scenario,
        sas.date
    from scenario_account_scores as sas
),

published as (
    select
        sd.scenario,
        ea.date,
        ea.account_id,
        ea.org_id,
        ea.action,
        ea.score,
        ea.model_version
    from enforcement_actions as ea
    inner join scenario_days as sd on ea.date = sd.date
),

whatif as (
    select
        sea.scenario,
        sea.date,
        sea.account_id,
        sea.org_id,
        sea.action,
        sea.score,
        sea.model_version
    from scenario_enforcement_actions as sea
),

compared as (
    select
        coalesce(w.scenario, p.scenario) as scenario,
        coalesce(w.date, p.date) as date,
        coalesce(w.account_id, p.account_id) as account_id,
        coalesce(w.org_id, p.org_id) as org_id,
        p.action as published_action,
        w.action as scenario_action,
        p.score as published_score,
        w.score as scenario_score,
        p.model_version as published_model,
        w.model_version as scenario_model
    from whatif as w
    full outer join published as p
        on w.scenario = p.scenario and w.date = p.date and w.account_id = p.account_id
),

final as (
    select
        c.*,
        case
            when c.published_action is null then 'gained'
            when c.scenario_action is null then 'lost'
            else 'changed'
        end as change
    from compared as c
    where c.published_action is distinct from c.scenario_action
)

select * from final
order by scenario, date, account_id
