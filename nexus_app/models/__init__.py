"""SQLModel tables. Importing this package registers every table on the metadata."""

from nexus_app.models.activity import (
    DailyChatUsage,
    DailyChatUser,
    DailyChatUserCount,
    WeeklyActiveCount,
    WeeklyActivity,
)
from nexus_app.models.bank import (
    ItemBankVersion,
    Question,
    QuestionBank,
    QuestionCreate,
    QuestionReviewLog,
)
from nexus_app.models.base import utcnow
from nexus_app.models.billing import PaymentSubscription, SubscriptionTier
from nexus_app.models.curriculum import Book, Subject, UtbkSection
from nexus_app.models.ops import ErrorLog, JobRun
from nexus_app.models.practice import (
    Attempt,
    AttemptFeedback,
    ItemExposure,
    SectionExposure,
    UserReadiness,
    UserStudySession,
)
from nexus_app.models.review import ReviewQueueItem
from nexus_app.models.settings import SchoolSetting
from nexus_app.models.tasks import Task, TaskAnswer, TaskStudent
from nexus_app.models.tryout import (
    PtnProgram,
    TryoutBlueprint,
    TryoutBlueprintSection,
    TryoutItem,
    TryoutSitting,
    TryoutSittingSection,
)
from nexus_app.models.tutor import ChatHistory, PracticeQuestion, TopicMastery, WeakArea
from nexus_app.models.users import ClassAssignment, LoginAttempt, Session, User, UserPublic

__all__ = [
    "Attempt",
    "AttemptFeedback",
    "Book",
    "ChatHistory",
    "ClassAssignment",
    "DailyChatUsage",
    "DailyChatUser",
    "DailyChatUserCount",
    "ErrorLog",
    "ItemBankVersion",
    "ItemExposure",
    "JobRun",
    "LoginAttempt",
    "PaymentSubscription",
    "PracticeQuestion",
    "PtnProgram",
    "Question",
    "QuestionBank",
    "QuestionCreate",
    "QuestionReviewLog",
    "ReviewQueueItem",
    "SchoolSetting",
    "SectionExposure",
    "Session",
    "Subject",
    "SubscriptionTier",
    "Task",
    "TaskAnswer",
    "TaskStudent",
    "TopicMastery",
    "TryoutBlueprint",
    "TryoutBlueprintSection",
    "TryoutItem",
    "TryoutSitting",
    "TryoutSittingSection",
    "User",
    "UserPublic",
    "UserReadiness",
    "UserStudySession",
    "UtbkSection",
    "WeakArea",
    "WeeklyActiveCount",
    "WeeklyActivity",
    "utcnow",
]
