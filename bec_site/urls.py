from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from commons.views import decisions, invitations, leaving, member_data

from . import views

urlpatterns = [
    # Every way into a session is allauth's (verified address, rate limits, second factor): the
    # login and password-reset pages that Wagtail registers are shadowed here, before its own
    # routes, and only redirect (tests/site/test_auth_routes.py walks every registered one).
    path("admin/login/", views.to_allauth_admin_login, name="bec_admin_login"),
    path("admin/logout/", RedirectView.as_view(pattern_name="account_logout", query_string=True)),
    re_path(r"^admin/password_reset/", views.to_allauth_password_reset, name="bec_admin_password_reset"),
    path("_util/login/", views.to_allauth_login, name="bec_util_login"),
    path("admin/", include("commons.admin_urls")),  # Wagtail views served scoped (before Wagtail's own)
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/profile/data/", member_data.member_data, name="member_data"),
    path("accounts/profile/data/<str:token>/", member_data.download, name="member_data_download"),
    path("accounts/profile/leave/", leaving.leave, name="member_leave"),
    path("accounts/profile/", include("participants.urls")),
    path("confidentialite/", views.privacy, name="privacy"),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", invitations.accept, name="invitation_accept"),
    # The language switcher is in every page's header; without a CSRF token, so that public pages
    # set no cookie and can be served from the cache (commons.page_cache). Choosing a language is the
    # only thing it does (a cookie; `next` must be this site's): a forged post changes nothing else.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # The register as a spreadsheet at <bureau>/decisions.csv (Wagtail's own routes cannot end in ".csv").
    path("<path:bureau_path>/decisions.csv", decisions.export_csv_by_path, name="decisions_csv"),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Images and other media, never documents (interview recordings among them): those are served
    # by Wagtail's document view, which applies the consent check (`studies.wagtail_hooks`).
    # `serve_media` refuses the documents folder after normalising the path, whatever its spelling.
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", views.serve_media)]

urlpatterns += [path("", include(wagtail_urls))]
