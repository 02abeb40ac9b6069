-- Score differences between a what-if scenario and what was published, per scenario, day and account.
create view v_scenario_score_deltas as
with whatif as (
    select
        sas.scenario,
        sas.date,
        sas.account_id,
        sas.score,
        sas.model_version
    from scenario_account_scores as sas
),

final as (
    select
        w.scenario,
        w.date,
        w.account_id,
        a.org_id,
        a.score as published_score,
        w.score as scenario_score,
        w.score - a.score as score_delta,
        a.model_version as published_model,
        w.model_version as scenario_model
    from whatif as w
    inner join account_scores as a on w.date = a.date and w.account_id = a.account_id
)

select * from final
order by scenario asc, date asc, abs(score_delta) desc, account_id asc
