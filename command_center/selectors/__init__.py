"""Reads of the command center, by subject: per-model rows and the data
fingerprint (``rows``), the portfolio's cached aggregates (``portfolio``), the
model page (``model_page``), the lists (``lists``) and what it reads of
deployments (``deployments``). Every aggregate comes
from a constant number of queries whatever the size of the portfolio."""

from command_center.selectors.lists import MODEL_SORTS as MODEL_SORTS
from command_center.selectors.lists import (
    OBLIGATIONS_FILTERS as OBLIGATIONS_FILTERS,
)
from command_center.selectors.lists import filter_model_rows as filter_model_rows
from command_center.selectors.lists import saved_simulation as saved_simulation
from command_center.selectors.lists import saved_simulations as saved_simulations
from command_center.selectors.lists import team_names as team_names
from command_center.selectors.model_page import DriftPoint as DriftPoint
from command_center.selectors.model_page import DriftSeries as DriftSeries
from command_center.selectors.model_page import ModelPage as ModelPage
from command_center.selectors.model_page import drift_history as drift_history
from command_center.selectors.model_page import model_page as model_page
from command_center.selectors.portfolio import PortfolioState as PortfolioState
from command_center.selectors.portfolio import compliance_trend as compliance_trend
from command_center.selectors.portfolio import compute_portfolio as compute_portfolio
from command_center.selectors.portfolio import overview as overview
from command_center.selectors.portfolio import portfolio_state as portfolio_state
from command_center.selectors.portfolio import portfolio_summary as portfolio_summary
from command_center.selectors.rows import data_fingerprint as data_fingerprint
from command_center.selectors.rows import inventory_batches as inventory_batches
from command_center.selectors.rows import (
    inventory_export_rows as inventory_export_rows,
)
from command_center.selectors.rows import (
    inventory_rows_in_batches as inventory_rows_in_batches,
)
from command_center.selectors.rows import model_rows as model_rows
