"""Admin for studies, under « Studies »: the AI tool registry (snippet) and observations (read-only).

Observations are written and edited on the study's own pages, where the consent check, the
optimistic version number and the re-anchoring of coded excerpts happen. The admin therefore
only lists, inspects and (to erase one) deletes them: an admin edit would bypass all three.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import AITool, Observation, Registration


class AIToolViewSet(SnippetViewSet):
    model = AITool
    icon = "cogs"
    menu_label = _("AI tools")
    list_display = ["name", "vendor", "model_family", "open_weights", "hosting", "licence"]
    list_filter = ["hosting", "open_weights"]
    search_fields = ["name", "vendor", "model_family"]
    search_backend_name = None  # plain database lookups: the registry is small


class NoAddOrChangePolicy(ModelPermissionPolicy):
    """Django model permissions, minus adding and changing (see the module docstring)."""

    forbidden = ("add", "change")

    def user_has_permission(self, user, action):
        return action not in self.forbidden and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class ObservationViewSet(ModelViewSet):
    model = Observation
    icon = "doc-full"
    menu_label = _("Observations")
    list_display = ["title", "study", "collective", "observed_on", "observer"]
    list_filter = ["study", "collective", "setting", "visibility"]
    search_fields = ["title", "plain_text"]
    search_backend_name = None
    inspect_view_enabled = True
    inspect_view_fields = [
        "title",
        "study",
        "collective",
        "observed_on",
        "observer",
        "setting",
        "purposes",
        "visibility",
        "version",
        "body",
    ]
    form_fields = ["title"]  # required by ModelViewSet; never reachable (no add, no change)


register_permission_policy(Observation, NoAddOrChangePolicy(Observation))


class ReadOnlyPolicy(NoAddOrChangePolicy):
    """Nothing but reading: a registration is never added, changed nor withdrawn by hand."""

    forbidden = ("add", "change", "delete")


class RegistrationViewSet(ModelViewSet):
    """Registered protocol versions, read-only (made only by an adopted « registration » vote)."""

    model = Registration
    icon = "lock"
    menu_label = _("Registrations")
    list_display = ["title", "number", "study_title", "registered_at", "sha256"]
    inspect_view_enabled = True
    inspect_view_fields = ["title", "number", "study_title", "registered_at", "decision", "sha256"]
    form_fields = ["title"]  # required by ModelViewSet; never reachable (no add, no change)


register_permission_policy(Registration, ReadOnlyPolicy(Registration))


class StudiesViewSetGroup(ViewSetGroup):
    menu_label = _("Studies")
    menu_icon = "clipboard-list"
    items = (AIToolViewSet, ObservationViewSet, RegistrationViewSet)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return StudiesViewSetGroup()


@hooks.register("bec_proposal_changes")
def protocol_changes(request, proposal):
    """On a protocol amendment's proposal page: the word diff of the submitted revision."""
    from .views.protocol import proposal_changes

    return proposal_changes(request, proposal)


@hooks.register("bec_proposal_changes")
def codebook_changes(request, proposal):
    """On a « codebook change » proposal's page: the change it carries, before and after."""
    from .codebook_votes import proposal_changes

    return proposal_changes(request, proposal)


@hooks.register("bec_proposal_changes")
def report_changes(request, proposal):
    """On a « Publication » proposal about a report: its text and figures against the published version."""
    from .views.reports import proposal_changes

    return proposal_changes(request, proposal)


@hooks.register("register_admin_viewset")
def register_excerpt_chooser():
    from .choosers import excerpt_chooser_viewset

    return excerpt_chooser_viewset


@hooks.register("before_serve_document")
def guard_interview_recordings(document, request):
    """An interview's recording is served to the study team only, while its informant and their
    collective consent to it.

    Wagtail serves documents to anyone who has their URL; a document that is some interview's
    recording goes through `studies.permissions.can_hear_recording` first (login page for
    anonymous visitors, 404 for everyone else). Other documents are left alone.
    """
    from . import permissions
    from .models import Interview

    interviews = list(Interview.objects.filter(recording=document).select_related("study"))
    if not interviews:
        return None
    if any(permissions.can_hear_recording(request.user, item.study, item) for item in interviews):
        return None
    return permissions.deny(request)


@hooks.register("before_delete_page")
def keep_versioned_protocols(request, page):
    """A page holding a versioned protocol (its study, its bureau) is not deleted: published versions
    are a public record that decisions and observations point at (without this hook, the deletion
    would fail on the protected versions).

    The protocol page itself never reaches this hook: `ProtocolPermissionTester` refuses to delete
    or to unpublish a versioned protocol, superusers included. Its study or bureau may be
    unpublished instead, as the message says; Wagtail then skips the protocol among the
    descendants it unpublishes (it may not be unpublished), so the versions stay public."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils.translation import gettext

    from .models import ProtocolPage, ProtocolVersion, ReportVersion, StudyReportPage

    protocols = ProtocolPage.objects.descendant_of(page, inclusive=True)
    reports = StudyReportPage.objects.descendant_of(page, inclusive=True)
    if (
        not ProtocolVersion.objects.filter(protocol__in=protocols).exists()
        and not ReportVersion.objects.filter(report__in=reports).exists()
    ):
        return None
    text = (
        gettext(
            "« %(title)s » holds a protocol with published versions: they are a public record that "
            "decisions and observations point at, so it cannot be deleted. Unpublish it instead."
        )
        if ProtocolVersion.objects.filter(protocol__in=protocols).exists()
        else gettext(
            "« %(title)s » holds a report with published versions: they are a public record that the "
            "bureau's decisions point at, so it cannot be deleted. Unpublish it instead."
        )
    )
    messages.error(request, text % {"title": page.get_admin_display_title()})
    return redirect("wagtailadmin_explore", page.get_parent().pk if page.get_parent() else page.pk)


@hooks.register("before_edit_page")
def offer_the_version_in_force(request, page):
    """In the protocol's editor, when the draft differs from the version in force and no vote runs:
    a button back to the version in force, and a warning when the draft still holds changes that
    an earlier vote did not adopt (withdrawn or rejected), so they do not come back unnoticed."""
    from django.urls import reverse
    from django.utils.translation import gettext
    from wagtail.admin import messages

    from .models import ProtocolPage
    from .versions import unadopted_changes

    page = page.specific
    if request.method != "GET" or not isinstance(page, ProtocolPage) or not page.live:
        return None
    live, latest = page.live_revision, page.latest_revision
    if live is None or latest is None or latest.pk == live.pk or page.workflow_in_progress:
        return None
    revert = messages.button(
        reverse("wagtailadmin_pages:revisions_revert", args=[page.pk, live.pk]),
        gettext("Go back to the version in force"),
    )
    carried = unadopted_changes(page, latest, live)
    if carried:
        text = gettext(
            "This draft still holds changes that a vote did not adopt: %(list)s. Submitting it puts them "
            "to the vote again; to start from the version in force instead, go back to it."
        ) % {
            "list": "; ".join(
                gettext("%(sections)s from « %(title)s » (%(status)s)")
                % {"sections": ", ".join(c["sections"]), "title": c["proposal"].title, "status": c["status"]}
                for c in carried
            )
        }
        messages.warning(request, text, buttons=[revert])
    else:
        messages.info(request, gettext("This draft differs from the version in force."), buttons=[revert])
    return None


@hooks.register("bec_publications")
def published_reports(bureau, limit):
    """The bureau's published report versions, newest first (for its page and its Atom feed)."""
    from commons.publications import Publication

    from .models import ReportVersion, StudyReportPage

    reports = StudyReportPage.objects.live().public().descendant_of(bureau)
    versions = (
        ReportVersion.objects.filter(report__in=reports)
        .select_related("report")
        .order_by("-published_at", "-pk")[:limit]
    )
    out = []
    for version in versions:
        report = version.report
        base = report.url or ""
        out.append(
            Publication(
                title=report.title,
                url=base + report.reverse_subpage("version", args=[version.number]),
                published_at=version.published_at,
                summary=report.summary,
                label=f"{report.get_kind_display().capitalize()}, v{version.number}",
            )
        )
    return out


@hooks.register("bec_decision_links")
def decision_published_versions(bureau, decisions):
    """In the decision register: the report and protocol versions each decision published."""
    from django.utils.translation import gettext

    from .models import ProtocolVersion, ReportVersion

    ids = [decision.pk for decision in decisions]
    links: dict[int, list[tuple[str, str]]] = {}
    if not ids:
        return links
    for version in ReportVersion.objects.filter(decision__in=ids).select_related("report"):
        url = (version.report.url or "") + version.report.reverse_subpage("version", args=[version.number])
        label = gettext("Published: « %(title)s », version %(n)s") % {
            "title": version.report.title,
            "n": version.number,
        }
        links.setdefault(version.decision_id, []).append((label, url))
    for version in ProtocolVersion.objects.filter(decision__in=ids).select_related("protocol"):
        url = (version.protocol.url or "") + version.protocol.reverse_subpage(
            "version", args=[version.number]
        )
        label = gettext("Published: « %(title)s », version %(n)s") % {
            "title": version.protocol.title,
            "n": version.number,
        }
        links.setdefault(version.decision_id, []).append((label, url))
    return links


# --- Erasure of informants and collectives (issue 16) ----------------------------------------------


@hooks.register("register_log_actions")
def register_erasure_log_action(actions):
    actions.register_action("bec.erasure", _("Erase a party"), _("Party erased (counts only)"))


@hooks.register("register_admin_urls")
def erasure_admin_urls():
    from django.urls import path

    from .views.erasure import admin_erase_party

    return [
        path("erase/<str:kind>/<int:party_id>/", admin_erase_party, name="bec_erase_party"),
    ]


@hooks.register("register_snippet_listing_buttons")
def erase_button(snippet, user, next_url=None):
    """« Effacer… » in the listings of collectives and informants, for their bureau's coordinators."""
    from django.urls import reverse
    from wagtail.admin.widgets import ListingButton

    from participants.models import Collective, Informant

    from .permissions import can_erase_party_of

    if isinstance(snippet, Collective):
        kind, bureau_id = "collective", snippet.bureau_id
    elif isinstance(snippet, Informant):
        kind, bureau_id = "informant", snippet.collective.bureau_id
    else:
        return []
    if not can_erase_party_of(user, bureau_id):
        return []
    return [
        ListingButton(
            _("Erase…"), url=reverse("bec_erase_party", args=[kind, snippet.pk]), icon_name="bin", priority=90
        )
    ]
# --- Frozen registrations of protocol versions (issue 17) -------------------------------------------


@hooks.register("bec_apply_adopted")
def register_adopted_version(proposal, decision):
    """An adopted « registration » records the version, inside the closing transaction."""
    from .registrations import register_adopted

    register_adopted(proposal, decision)


@hooks.register("bec_proposal_changes")
def registration_changes(request, proposal):
    """On a « registration » proposal page: the version to register, and what registering means."""
    from .views.registrations import proposal_registration

    return proposal_registration(request, proposal)


@hooks.register("bec_decision_links")
def decision_registrations(bureau, decisions):
    """In the decision register: the protocol version each decision registered."""
    from django.utils.translation import gettext

    ids = [decision.pk for decision in decisions]
    links: dict[int, list[tuple[str, str]]] = {}
    if not ids:
        return links
    for registration in Registration.objects.filter(decision__in=ids).select_related("protocol"):
        label = gettext("Registered: « %(title)s », version %(n)s") % {
            "title": registration.title,
            "n": registration.number,
        }
        links.setdefault(registration.decision_id, []).append((label, registration.url))
    return links


@hooks.register("bec_registrations")
def registered_versions(bureau, limit):
    """The bureau's registrations, newest first (for its Atom feed, beside reports and decisions)."""
    from django.utils.translation import gettext

    from commons.publications import Publication

    from .models import ProtocolPage

    protocols = ProtocolPage.objects.descendant_of(bureau)
    rows = (
        Registration.objects.filter(protocol__in=protocols)
        .select_related("protocol")
        .defer("content_html")
        .order_by("-registered_at", "-pk")[:limit]
    )
    return [
        Publication(
            title=gettext("Registration: %(title)s") % {"title": row.title},
            url=row.url,
            published_at=row.registered_at,
            summary=gettext("Version %(n)s of the protocol of « %(study)s », SHA-256 %(hash)s")
            % {"n": row.number, "study": row.study_title, "hash": row.sha256},
            label=gettext("registered version %(n)s") % {"n": row.number},
        )
        for row in rows
    ]


@hooks.register("register_log_actions")
def register_protocol_log_actions(actions):
    """Forks of protocols in Wagtail's audit log (issue 17)."""
    actions.register_action("bec.protocol.fork", _("Fork a protocol"), _("Protocol forked"))


# --- Assessment grids (issue 19) -------------------------------------------------------------


@hooks.register("bec_apply_adopted")
def adopt_referential_version(proposal, decision):
    """An adopted « adoption of a referential version » freezes the version, in the closing transaction."""
    from .assessments.votes import adopt_adopted

    adopt_adopted(proposal, decision)


@hooks.register("before_serve_document")
def guard_assessment_evidence(document, request):
    """An assessment's evidence file is served to the study's team only, while its subject consents."""
    from . import permissions
    from .assessments.evidence import can_see_evidence
    from .models import Evidence

    pieces = list(Evidence.objects.filter(document=document).select_related("study"))
    if not pieces:
        return None
    if any(can_see_evidence(request.user, piece) for piece in pieces):
        return None
    return permissions.deny(request)


@hooks.register("bec_apply_adopted")
def adopt_engagement_plan(proposal, decision):
    """An adopted « engagement plan » proposal adopts the plan, in the closing transaction."""
    from .assessments.plans import adopt_adopted

    adopt_adopted(proposal, decision)


@hooks.register("bec_apply_adopted")
def close_reviewed_assessment(proposal, decision):
    """An adopted « closing of an assessment's review » marks the assessment reviewed."""
    from .assessments.votes import close_adopted_review

    close_adopted_review(proposal, decision)


def _strings(value) -> list[str]:
    """Every string inside a StreamField's raw data (texts, rich text, captions)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


@hooks.register("bec_citing_texts")
def study_texts_citing(bureau, key):
    """The studies' texts citing `key`: contexts, reading notes, protocols, reports (their current drafts)."""
    from django.utils.translation import gettext

    from commons.library.usage import cites

    from .models import ProtocolPage, Reading, StudyPage, StudyReportPage

    needle = f"@{key}"
    found = []
    for study in StudyPage.objects.descendant_of(bureau).filter(context__icontains=needle):
        if cites(study.context, key):
            found.append((gettext("Context of the study « %(title)s »") % {"title": study.title}, study.url))
    studies = StudyPage.objects.descendant_of(bureau)
    readings = Reading.objects.filter(study__in=studies, notes__icontains=needle)
    for reading in readings.select_related("study", "reference"):
        if cites(reading.notes, key):
            url = reading.study.url + reading.study.reverse_subpage("reading_detail", args=[reading.pk])
            label = gettext("Reading notes on [@%(cited)s] (study « %(title)s »)") % {
                "cited": reading.reference.key, "title": reading.study.title}
            found.append((label, url))
    for model, label in ((ProtocolPage, gettext("Protocol « %(title)s »")),
                         (StudyReportPage, gettext("Report « %(title)s »"))):
        for page in model.objects.descendant_of(bureau):
            if cites("\n".join(_strings(list(page.body.raw_data))), key):
                found.append((label % {"title": page.title}, page.url or ""))
    return found
