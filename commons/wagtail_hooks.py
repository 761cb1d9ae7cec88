"""Admin registration for commons: memberships and invitations as read-mostly viewsets, and the
bureau-scoped admin of collectives, informants and consent (`commons.admin_participants`)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.action_menu import SubmitForModerationMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin_participants.scoping import SCOPES, BureauScopedPermissionPolicy
from .admin_participants.viewsets import ParticipantsViewSetGroup
from .admin_scope import SCOPED_BULK_ACTIONS, choosable_pages
from .models import Decision, DecisionRule, Invitation, Membership, Proposal

# Registered before any viewset, so Wagtail never creates its unscoped fallback policy for them.
for _model in SCOPES:
    register_permission_policy(_model, BureauScopedPermissionPolicy(_model))


class MembershipViewSet(ModelViewSet):
    model = Membership
    icon = "group"
    menu_label = _("Memberships")
    list_display = ["user", "bureau", "role", "college", "joined_at", "left_at"]
    list_filter = ["bureau", "role", "left_at"]
    search_fields = ["user__email", "user__bec_profile__display_name"]
    search_backend_name = None
    form_fields = ["user", "bureau", "role", "college", "joined_at", "left_at"]


class LimitedPermissionPolicy(ModelPermissionPolicy):
    """Django model permissions, minus the actions that must not happen in the admin.

    Invitations are created from the members page (which emails the link); proposals change
    state only through `commons.actions`; decisions are never changed at all.
    """

    def __init__(self, model, forbidden: tuple[str, ...]):
        super().__init__(model)
        self.forbidden = forbidden

    def user_has_permission(self, user, action):
        return action not in self.forbidden and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class InvitationViewSet(ModelViewSet):
    model = Invitation
    icon = "mail"
    menu_label = _("Invitations")
    list_display = ["email", "bureau", "role", "college", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["bureau", "role"]
    search_fields = ["email"]
    search_backend_name = None
    form_fields = ["expires_at"]


class DecisionRuleViewSet(ModelViewSet):
    """Rules are added here and read; changing which rule a kind of proposal follows is a decision."""

    model = DecisionRule
    inspect_view_enabled = True
    icon = "tasks"
    menu_label = _("Decision rules")
    list_display = ["name", "bureau", "method", "quorum", "threshold", "use_colleges", "is_default"]
    list_filter = ["bureau", "method"]
    form_fields = [
        "bureau",
        "name",
        "method",
        "quorum",
        "threshold",
        "default_duration_days",
        "use_colleges",
        "results_visibility",
        "min_days_before_early_close",
        "max_proxies_per_holder",
    ]


class ProposalViewSet(ModelViewSet):
    model = Proposal
    icon = "doc-full"
    menu_label = _("Proposals")
    list_display = ["title", "bureau", "kind", "status", "opens_at", "closes_at"]
    list_filter = ["bureau", "status", "kind"]
    search_fields = ["title"]
    search_backend_name = None
    inspect_view_enabled = True
    form_fields = ["title"]


class DecisionViewSet(ModelViewSet):
    """The register, read-only: a decision is never edited or deleted, here or anywhere."""

    model = Decision
    icon = "list-ol"
    menu_label = _("Decisions")
    list_display = ["sequence", "title", "bureau", "outcome", "closed_at", "hash"]
    list_filter = ["bureau", "outcome"]
    inspect_view_enabled = True
    form_fields = ["title"]


register_permission_policy(Proposal, LimitedPermissionPolicy(Proposal, ("add", "change", "delete")))
# A rule may be added (it applies to nothing until a « change of the decision rules » maps a kind to
# it), never changed nor deleted in the admin: the bureau's governance changes only by its decisions.
register_permission_policy(DecisionRule, LimitedPermissionPolicy(DecisionRule, ("change", "delete")))
register_permission_policy(Decision, LimitedPermissionPolicy(Decision, ("add", "change", "delete")))
register_permission_policy(Invitation, LimitedPermissionPolicy(Invitation, ("add",)))


class CommonsViewSetGroup(ViewSetGroup):
    menu_label = _("Bureaus")
    menu_icon = "site"
    items = (MembershipViewSet, InvitationViewSet, DecisionRuleViewSet, ProposalViewSet, DecisionViewSet)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return CommonsViewSetGroup()


# Bulk-action pages name only what the person may see (`commons.admin_scope`). Registered after
# Wagtail's own (a higher order), so the registry keeps these for every (model, action).
for _action in SCOPED_BULK_ACTIONS:
    hooks.register("register_bulk_action", _action, order=1000)

# The page chooser names only pages the person may explore, and public live pages.
hooks.register("construct_page_chooser_queryset", choosable_pages)

# The « Participants » menu: collectives, informants and consent, each scoped to the bureaus coordinated.
register_snippet(ParticipantsViewSetGroup)


@hooks.register("after_create_page")
def give_new_bureaus_their_rules(request, page):
    """A bureau created in the admin starts with usable decision rules (see `commons.rules`)."""
    from .models import BureauPage
    from .rules import ensure_default_rules

    if isinstance(page.specific, BureauPage):
        ensure_default_rules(page.specific)


@hooks.register("register_log_actions")
def register_governance_log_actions(actions):
    """Proposal lifecycle events in Wagtail's audit log (Reports › Site history)."""
    actions.register_action("bec.proposal.open", _("Open a vote"), _("Vote opened"))
    actions.register_action("bec.proposal.extend", _("Extend a vote"), _("Vote extended"))
    actions.register_action("bec.proposal.withdraw", _("Withdraw a proposal"), _("Proposal withdrawn"))
    actions.register_action("bec.proposal.decide", _("Record a decision"), _("Decision recorded"))
    actions.register_action(
        "bec.proposal.everyone_voted", _("End a vote when everyone has voted"), _("Everyone has voted")
    )
    actions.register_action("bec.proposal.close_early", _("Close a vote early"), _("Vote closed early"))
    actions.register_action("bec.proposal.edit", _("Edit a draft proposal"), _("Draft edited"))
    actions.register_action("bec.proposal.change", _("Propose a change"), _("Change proposed"))
    actions.register_action("bec.proposal.apply", _("Apply an adopted change"), _("Adopted change applied"))
    actions.register_action("bec.member.data_export", _("Export one's data"), _("Member data exported"))
    actions.register_action("bec.member.leave_request", _("Ask to leave the platform"), _("Asked to leave"))


@hooks.register("register_log_actions")
def register_proxy_log_actions(actions):
    """Proxies in Wagtail's audit log: given, revoked, used (issue 17)."""
    actions.register_action("bec.proxy.give", _("Give a proxy"), _("Proxy given"))
    actions.register_action("bec.proxy.revoke", _("Revoke a proxy"), _("Proxy revoked"))
    actions.register_action("bec.proxy.use", _("Vote by proxy"), _("Ballot cast by proxy"))


# --- Pages decided by the bureau's vote, in the admin (issue 11, item 10) --------------------------


def _is_vote(task_class) -> bool:
    """Whether a task of this class is the bureau's vote (`CollectiveDecisionTask`)."""
    from .models import CollectiveDecisionTask

    return task_class is not None and issubclass(task_class, CollectiveDecisionTask)


def _collective_workflow(page) -> bool:
    """Whether submitting this page opens the bureau's vote (its workflow holds our task)."""
    workflow = page.get_workflow() if page is not None and page.pk else None
    return workflow is not None and any(
        # `specific_class` reads the content type (cached), where `specific` costs a query per task.
        _is_vote(task.specific_class) for task in workflow.tasks.all()
    )


class SubmitToTheBureauMenuItem(SubmitForModerationMenuItem):
    """Wagtail's « Submit to <workflow name> », said as what it does: the bureau votes."""

    label = _("Submit to the bureau's vote")

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["label"] = self.label
        return context


@hooks.register("construct_page_action_menu")
def submit_to_the_bureau(menu_items, request, context):
    """Relabel the submission of a page decided by vote, and make it the main action once the page
    has been published (it can then only change by the bureau's vote: there is no « Publish »)."""
    page = context.get("page")
    if not _collective_workflow(page):
        return
    for index, item in enumerate(menu_items):
        if isinstance(item, SubmitForModerationMenuItem) and not isinstance(item, SubmitToTheBureauMenuItem):
            replacement = SubmitToTheBureauMenuItem(order=item.order)
            menu_items[index] = replacement
            if page.live and not any(getattr(i, "name", "") == "action-publish" for i in menu_items):
                menu_items.insert(0, menu_items.pop(index))
            break


@hooks.register("after_edit_page")
def land_on_the_vote(request, page):
    """After a submission to the bureau's vote: the proposal just opened, and when its vote closes
    (instead of Wagtail's « submitted for moderation » and the explorer)."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import gettext

    from .models import CollectiveDecisionTaskState

    if request.method != "POST" or not (
        request.POST.get("action-submit") or request.POST.get("action-restart-workflow")
    ):
        return None
    # Read afresh: the page object's workflow state was cached before the submission started it.
    task_state = (
        CollectiveDecisionTaskState.objects.filter(
            revision__object_id=str(page.pk),
            revision__base_content_type=page.get_base_content_type(),
            status=CollectiveDecisionTaskState.STATUS_IN_PROGRESS,
            proposal__isnull=False,
        )
        .select_related("proposal__bureau")
        .order_by("-pk")
        .first()
    )
    if task_state is None:
        return None
    proposal = task_state.proposal
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", None)
    if queued:  # Wagtail's « submitted for moderation »: replaced by what really happened
        queued.pop()
    if proposal.closes_at:
        messages.success(
            request,
            gettext("Submitted to the bureau's vote: « %(title)s ». The vote closes on %(date)s.")
            % {
                "title": proposal.title,
                "date": date_format(timezone.localtime(proposal.closes_at), "DATETIME_FORMAT"),
            },
        )
    else:
        messages.warning(
            request,
            gettext(
                "Submitted: the proposal « %(title)s » is a draft, its vote could not open yet; "
                "a coordinator opens it from the proposal page."
            )
            % {"title": proposal.title},
        )
    bureau = proposal.bureau
    return redirect(bureau.url + bureau.reverse_subpage("proposal_detail", args=[proposal.pk]))


class BureauVotesAreNotReviews(WorkflowObjectsToModeratePanel):
    """« Awaiting your review » without the bureau's votes: nobody reviews them, the bureau votes."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["states"] = [
            entry
            for entry in context["states"]
            if not _is_vote(entry["task_state"].task.specific_class)
        ]
        return context


class BureauVotesPanel(Component):
    """The votes running in the bureaus the person belongs to: followed, not reviewed."""

    name = "bureau_votes"
    template_name = "commons/admin/bureau_votes_panel.html"
    order = 215

    def get_context_data(self, parent_context):
        from .models import CollectiveDecisionTaskState, Membership
        from .models.governance import Status

        request = parent_context["request"]
        bureau_ids = Membership.objects.active().filter(user=request.user).values("bureau_id")
        proposals = (
            Proposal.objects.filter(status=Status.OPEN, bureau_id__in=bureau_ids)
            .select_related("bureau")
            .order_by("closes_at", "pk")[:20]
        )
        pages = dict(
            CollectiveDecisionTaskState.objects.filter(proposal__in=[p.pk for p in proposals]).values_list(
                "proposal_id", "revision__object_str"
            )
        )
        votes = [
            {
                "title": proposal.title,
                "page_title": pages.get(proposal.pk, ""),
                "closes_at": proposal.closes_at,
                "url": proposal.bureau.url
                + proposal.bureau.reverse_subpage("proposal_detail", args=[proposal.pk]),
            }
            for proposal in proposals
        ]
        return {"votes": votes, "request": request}


@hooks.register("construct_homepage_panels")
def no_review_of_votes(request, panels):
    """Votes are shown as what they are (« votes of your bureaus in progress »), not as reviews."""
    for index, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[index] = BureauVotesAreNotReviews()
    panels.append(BureauVotesPanel())


@hooks.register("bec_proposal_changes")
def membership_changes(request, proposal):
    """On a « membership » proposal's page: the invitation or exclusion it carries."""
    from .membership_votes import describe
    from .models.governance import ProposalKind

    if proposal.kind != ProposalKind.MEMBERSHIP or not proposal.payload:
        return None
    return describe(proposal)


@hooks.register("bec_proposal_changes")
def resource_changes(request, proposal):
    """On a « publication of a resource » proposal's page: the resource it would publish."""
    from .models.governance import ProposalKind
    from .resources import describe

    if proposal.kind != ProposalKind.RESOURCE or not proposal.payload:
        return None
    return describe(proposal)


@hooks.register("bec_decision_links")
def published_resources(bureau, decisions):
    """In the decision register: the resource an adopted « publication of a resource » published."""
    from django.utils.translation import gettext

    from .models.governance import ProposalKind

    links: dict[int, list[tuple[str, str]]] = {}
    base = bureau.url + bureau.reverse_subpage("resources")
    for decision in decisions:
        if decision.kind != ProposalKind.RESOURCE or not decision.adopted:
            continue
        proposal = decision.proposal
        if (proposal.change_result or {}).get("status") != "applied":
            continue
        payload = proposal.payload or {}
        label = gettext("Published: the resource « %(title)s »") % {"title": payload.get("title", "")}
        links[decision.pk] = [(label, f"{base}#resource-{payload.get('resource')}")]
    return links
