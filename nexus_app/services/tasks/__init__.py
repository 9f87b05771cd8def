"""Assigned work (tugas): a teacher gives a practice set or a tryout to a class, a group or
single students with a due date; students do it through the practice flows (or sit the
tryout on /tryout); the teacher reads completion, results per student and per item, and
the "soal sulit" report.

A whole-class task reaches students who join the class later (resolved when tasks are
read: repositories.tasks.add_class_joiners); a group's or one student's stays fixed.
"""

from .assign import (
    ClassStudent,
    TargetChoice,
    TaskOptions,
    TaskRow,
    class_students,
    create_task,
    delete_task,
    list_tasks,
    options,
    parse_due,
)
from .common import KIND_LABELS, STATUS_DONE, STATUS_LATE, STATUS_OPEN
from .results import (
    HARD_COLUMNS,
    ITEM_COLUMNS,
    STUDENT_COLUMNS,
    HardItem,
    ItemResult,
    StudentResult,
    TaskResults,
    hard_items,
    hard_items_csv,
    items_csv,
    students_csv,
    task_results,
)
from .work import (
    StudentTask,
    TaskItem,
    TaskOutcome,
    TaskStep,
    answer,
    model_answer,
    my_tasks,
    open_task,
    task_link,
    tryout_task_blueprint,
)

__all__ = [
    "HARD_COLUMNS",
    "ITEM_COLUMNS",
    "KIND_LABELS",
    "STATUS_DONE",
    "STATUS_LATE",
    "STATUS_OPEN",
    "STUDENT_COLUMNS",
    "ClassStudent",
    "HardItem",
    "ItemResult",
    "StudentResult",
    "StudentTask",
    "TargetChoice",
    "TaskItem",
    "TaskOptions",
    "TaskOutcome",
    "TaskResults",
    "TaskRow",
    "TaskStep",
    "answer",
    "class_students",
    "create_task",
    "delete_task",
    "hard_items",
    "hard_items_csv",
    "items_csv",
    "list_tasks",
    "model_answer",
    "my_tasks",
    "open_task",
    "options",
    "parse_due",
    "students_csv",
    "task_link",
    "task_results",
    "tryout_task_blueprint",
]
