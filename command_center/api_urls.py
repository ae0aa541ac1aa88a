from django.urls import path

from command_center import api

app_name = "command_center_api"

urlpatterns = [
    path(
        "portfolio/summary/",
        api.PortfolioSummaryView.as_view(),
        name="portfolio-summary",
    ),
]
