from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from commons.views import decisions, invitations


def admin_login(request):
    """The Wagtail admin signs in through allauth, so rate limits and MFA protect it too."""
    return redirect_to_login(request.GET.get("next") or "/admin/")


urlpatterns = [
    path("admin/login/", admin_login, name="bec_admin_login"),
    path("admin/logout/", RedirectView.as_view(pattern_name="account_logout", query_string=True)),
    path("admin/", include("commons.admin_urls")),  # Wagtail views served scoped (before Wagtail's own)
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/profile/", include("participants.urls")),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", invitations.accept, name="invitation_accept"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The register as a spreadsheet at <bureau>/decisions.csv (Wagtail's own routes cannot end in ".csv").
    path("<path:bureau_path>/decisions.csv", decisions.export_csv_by_path, name="decisions_csv"),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += staticfiles_urlpatterns()
    # Images only: documents (interview recordings among them) are served by Wagtail's document
    # view, which applies the consent check (`studies.wagtail_hooks`), never straight from disk.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>(?!documents/).*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

urlpatterns += [path("", include(wagtail_urls))]
