"""The command center's pages, by subject. Each reads through a selector or
calls one service; the numbers come from command_center.selectors, like the
API's."""

from command_center.views.access import SignInView as SignInView
from command_center.views.access import SignOutView as SignOutView
from command_center.views.account import (
    NotificationPreferencesView as NotificationPreferencesView,
)
from command_center.views.alerts import DriftAlertListView as DriftAlertListView
from command_center.views.alerts import DriftAlertMoveView as DriftAlertMoveView
from command_center.views.alerts import (
    MonitoringAlertListView as MonitoringAlertListView,
)
from command_center.views.alerts import (
    MonitoringAlertMoveView as MonitoringAlertMoveView,
)
from command_center.views.documentation import DocumentationView as DocumentationView
from command_center.views.documentation import (
    GenerateDocumentationView as GenerateDocumentationView,
)
from command_center.views.exports import InventoryCSVView as InventoryCSVView
from command_center.views.intake import IntakePageView as IntakePageView
from command_center.views.intake import (
    RiskClassChangeApproveView as RiskClassChangeApproveView,
)
from command_center.views.intake import (
    RiskClassChangeAskView as RiskClassChangeAskView,
)
from command_center.views.intake import (
    RiskClassChangeQueueView as RiskClassChangeQueueView,
)
from command_center.views.intake import (
    RiskClassChangeRejectView as RiskClassChangeRejectView,
)
from command_center.views.obligations import (
    ModelObligationsView as ModelObligationsView,
)
from command_center.views.pages import AuditListView as AuditListView
from command_center.views.pages import DeploymentListView as DeploymentListView
from command_center.views.pages import ModelDetailView as ModelDetailView
from command_center.views.pages import ModelListView as ModelListView
from command_center.views.pages import OverviewView as OverviewView
from command_center.views.pages import ReadinessHelpView as ReadinessHelpView
from command_center.views.policies import PolicyDetailView as PolicyDetailView
from command_center.views.policies import PolicyEditView as PolicyEditView
from command_center.views.policies import PolicyListView as PolicyListView
from command_center.views.policies import (
    PolicyRevisionDiffView as PolicyRevisionDiffView,
)
from command_center.views.prompts import PromptDiffView as PromptDiffView
from command_center.views.reviews import ApproveView as ApproveView
from command_center.views.reviews import AssignView as AssignView
from command_center.views.reviews import CommentView as CommentView
from command_center.views.reviews import RejectView as RejectView
from command_center.views.reviews import ReviewDetailView as ReviewDetailView
from command_center.views.reviews import ReviewQueueView as ReviewQueueView
from command_center.views.reviews import WaiveView as WaiveView
from command_center.views.simulation import SavedSimulationView as SavedSimulationView
from command_center.views.simulation import (
    SimulationCompareView as SimulationCompareView,
)
from command_center.views.simulation import SimulationView as SimulationView
from command_center.views.sso import SsoCallbackView as SsoCallbackView
from command_center.views.sso import SsoStartView as SsoStartView
