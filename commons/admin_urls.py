"""Admin addresses of Wagtail's that `commons` serves scoped (`commons.admin_scope`).

Included under ``admin/`` before Wagtail's own admin URLs (`bec_site.urls`), so these views answer at
Wagtail's addresses and under Wagtail's URL names' paths: every menu entry, link and export reaches them.
"""

from django.urls import path

from .admin_scope import ScopedLogEntriesView, ScopedPageTypesUsageReportView

urlpatterns = [
    path("reports/site-history/", ScopedLogEntriesView.as_view(), name="bec_site_history"),
    path(
        "reports/site-history/results/",
        ScopedLogEntriesView.as_view(results_only=True),
        name="bec_site_history_results",
    ),
    path("reports/page-types-usage/", ScopedPageTypesUsageReportView.as_view(), name="bec_page_types_usage"),
    path(
        "reports/page-types-usage/results/",
        ScopedPageTypesUsageReportView.as_view(results_only=True),
        name="bec_page_types_usage_results",
    ),
]
