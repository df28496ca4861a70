"""Writes of the impact engine: settings, report snapshots, evaluation rollouts.

settings.py    roi_settings_update (money assumptions, gates, the home currency)
refresh.py     report_refresh_all / _plan / _item / _publish (panel -> estimates -> snapshots),
               watermark-debounced; roi.tasks runs the items as a Celery chord
report_rows.py the items of a refresh (one subject and metric each) and the rows from their results
evaluation.py  evaluation_rollout_create (randomised, stratified team waves), wave assignment
costs.py       program_costs_update (content, seats, learner hours, delivery, coaching hours)
"""

from roi.services.costs import ProgramCosts, program_costs_update
from roi.services.evaluation import (
    RolloutAlreadyDrawn,
    evaluation_rollout_create,
    evaluation_waves_assign_due,
)
from roi.services.refresh import RefreshOutcome, report_refresh_all
from roi.services.settings import roi_settings_update

__all__ = [
    "ProgramCosts",
    "program_costs_update",
    "RefreshOutcome",
    "RolloutAlreadyDrawn",
    "evaluation_rollout_create",
    "evaluation_waves_assign_due",
    "report_refresh_all",
    "roi_settings_update",
]
