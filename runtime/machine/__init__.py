"""The pure workflow state machine: ``advance(state, event) -> (state, commands)``."""

from runtime.machine.core import advance, advance_many, initial_state, replay
from runtime.machine.inputs import check_parameters
from runtime.machine.state import ItemsProgress, JoinBarrier, TaskRun, WorkflowState

__all__ = [
    "ItemsProgress",
    "JoinBarrier",
    "TaskRun",
    "WorkflowState",
    "advance",
    "advance_many",
    "check_parameters",
    "initial_state",
    "replay",
]
