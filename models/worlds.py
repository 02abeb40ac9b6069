"""`distill-guard evaluate --seeds ...`: several simulated worlds, each replayed through the asset graph
(models/report.py), summarised by the worst case and the spread across worlds, not the best.

Each world is written to its own folder as soon as it finishes, and the summary is rewritten after each,
so a long run that is stopped keeps what it measured.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.languages import summary_lines

# Done-when targets of issue 13, read against the worst world.
TARGETS = [
    ("legit_suspended_accounts", "max", 0, "no legitimate account suspended"),
    (
        "legit_non_monitor_rate",
        "max",
        0.003,
        "legitimate accounts with any action above monitor (human review included) <= 0.3%",
    ),
    ("legit_enforced_rate", "max", 0.003, "legitimate accounts rate-limited or stronger <= 0.3%"),
    ("hard_negative_worst_rate", "max", 0.02, "each hard-negative persona <= 2% (any action above monitor)"),
    ("enforcement_precision", "min", 0.97, "enforcement precision >= 0.97"),
    ("roc_auc", "min", 0.995, "account ROC-AUC >= 0.995"),
    ("recall_at_fpr_1e-3", "min", 0.95, "recall at FPR 1e-3 >= 0.95"),
    (
        "campaigns_late",
        "max",
        0,
        "every campaign >= half its accounts actioned, first action within 1 day (low-and-slow 2)",
    ),
    (
        "legit_non_monitor_rate_modelled_days",
        "max",
        0.003,
        "(steady state, days a trained model scored) legitimate above monitor <= 0.3%",
    ),
    ("hard_negative_worst_rate_modelled_days", "max", 0.02, "(steady state) each hard-negative persona <= 2%"),
    ("reason_sentences_unreadable", "max", 0, "no published reason reads like a column name or jargon"),
]
COLUMNS = [
    ("world", "world"),
    ("legit_accounts", "legit"),
    ("attack_accounts", "attackers"),
    ("roc_auc", "AUC"),
    ("recall_at_fpr_1e-3", "recall@1e-3"),
    ("recall_at_fpr_1e-2", "recall@1e-2"),
    ("model_recall_at_fpr_1e-3", "model alone recall@1e-3"),
    ("legit_suspended_accounts", "legit suspended"),
    ("legit_enforced_rate", "legit enforced"),
    ("legit_human_review_rate", "legit human review"),
    ("legit_non_monitor_rate", "legit above monitor"),
    ("legit_non_monitor_rate_modelled_days", "legit above monitor, model days"),
    ("hard_negative_worst", "worst hard-negative persona"),
    ("enforcement_precision", "precision"),
    ("campaigns_on_time_text", "campaigns on time"),
    ("campaign_min_actioned_share", "min campaign share actioned"),
    ("campaign_max_days_to_first_action", "max days to first action"),
]


def _derived(m: dict) -> dict:
    m = dict(m)
    m["campaigns_late"] = m["campaigns"] - m["campaigns_on_time"]
    m["campaigns_on_time_text"] = f"{m['campaigns_on_time']}/{m['campaigns']}"
    m["hard_negative_worst"] = f"{m['hard_negative_worst_persona']} {100 * m['hard_negative_worst_rate']:.1f}%"
    return m


def summary_line(m: dict) -> str:
    m = _derived(m)
    return "; ".join(f"{label} {_fmt(m.get(key))}" for key, label in COLUMNS[1:])


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


# Writes one document in reading order; its sections share the worst-case frame.
def write_summary(out: Path, worlds: list[dict]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = [_derived(w) for w in worlds]
    lines = [
        "# distill-guard evaluation over several worlds",
        "",
        f"{len(rows)} world(s): variant {rows[0]['variant']}, {rows[0]['days']} days from {rows[0]['start']} at scale "
        f"{rows[0]['scale']}. Every world is simulated, replayed day by day through the Dagster asset graph "
        + (
            f"(cold-start rules, then one model trained once, as of day {rows[0]['train_once_day']}, that scored "
            "every later day) "
            if rows[0].get("train_once_day")
            else "(cold-start rules, then retraining as labels arrive) "
        )
        + "and compared with its ground truth. Action rates count every replayed day; AUC and recall use the days a "
        "trained model scored.",
        "",
        "| " + " | ".join(label for _, label in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(_fmt(r.get(k)) for k, _ in COLUMNS) + " |" for r in rows]
    lines += [
        "",
        "## Worst case and spread against the targets",
        "",
        "| target | worst | spread (min..max) | met |",
        "|---|---|---|---|",
    ]
    summary = {}
    for key, kind, bound, text in TARGETS:
        values = [r[key] for r in rows if r.get(key) is not None]
        if not values:
            lines.append(f"| {text} | n/a | n/a | no data |")
            continue
        worst = max(values) if kind == "max" else min(values)
        met = worst <= bound if kind == "max" else worst >= bound
        summary[key] = {"worst": worst, "min": min(values), "max": max(values), "met": met}
        lines.append(
            f"| {text} | {_fmt(worst)} | {_fmt(min(values))}..{_fmt(max(values))} | {'yes' if met else 'NO'} |"
        )
    lines += [
        "",
        "## Per legitimate population: worst share with any action above monitor over the worlds",
        "",
        "| population | worst rate | worlds | accounts (min..max) | suspended (max) |",
        "|---|---|---|---|---|",
    ]
    pops = sorted({p for r in rows for p in r.get("persona_rates", {})})
    for pop in pops:
        per = [r["persona_rates"][pop] for r in rows if pop in r.get("persona_rates", {})]
        lines.append(
            f"| {pop} | {max(p['non_monitor_rate'] for p in per):.4f} | {len(per)} | "
            f"{min(p['accounts'] for p in per)}..{max(p['accounts'] for p in per)} | "
            f"{max(p['suspended'] for p in per)} |"
        )
    lines += ["", "## Campaigns per world (share of accounts rate-limited or stronger, days to first action)", ""]
    for r in rows:
        parts = [
            f"{c['behaviour']} {c['actioned_share'] if c['actioned_share'] is None else round(c['actioned_share'], 2)}"
            f"/{c['days_to_first_action']}d"
            for c in r.get("campaign_rows", [])
        ]
        lines.append(f"- {r['world']}: " + ", ".join(parts))
    lines += summary_lines(rows)
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    (out / "summary.json").write_text(json.dumps({"worlds": rows, "targets": summary}, indent=1, default=str))
