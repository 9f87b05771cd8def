"""The full UTBK tryout (docs/tryout.md): blueprints as data, a form drawn per student,
sections against server-kept deadlines, EAP scores with a range, the review after the
whole tryout, and the student's standing among the school's students."""

from .blueprints import (
    DEFAULT_NAME,
    BlueprintImportReport,
    BlueprintSectionView,
    BlueprintView,
    RowError,
    admin_list_blueprints,
    admin_save_blueprint,
    blueprint_csv,
    import_blueprint,
    list_blueprints,
)
from .ptn import ProgramChance, PtnImportReport, import_ptn
from .readiness import TrendPoint, tryout_trend
from .results import (
    MIN_SITTERS_FOR_STANDING,
    ReviewItem,
    SectionResult,
    Standing,
    TryoutResult,
    tryout_chances,
    tryout_result,
)
from .sitting import (
    GridCell,
    ItemView,
    SittingView,
    answer_item,
    current_sitting,
    end_section,
    mark_doubt,
    show_item,
    start_tryout,
)

__all__ = [
    "DEFAULT_NAME",
    "MIN_SITTERS_FOR_STANDING",
    "BlueprintImportReport",
    "BlueprintSectionView",
    "BlueprintView",
    "GridCell",
    "ItemView",
    "ProgramChance",
    "PtnImportReport",
    "ReviewItem",
    "RowError",
    "SectionResult",
    "SittingView",
    "Standing",
    "TrendPoint",
    "TryoutResult",
    "admin_list_blueprints",
    "admin_save_blueprint",
    "answer_item",
    "blueprint_csv",
    "current_sitting",
    "end_section",
    "import_blueprint",
    "import_ptn",
    "list_blueprints",
    "mark_doubt",
    "show_item",
    "start_tryout",
    "tryout_chances",
    "tryout_result",
    "tryout_trend",
]
