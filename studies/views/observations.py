"""Observations of a study: the list (filters, full-text search, pages), logging one, editing one.

The list pages by cursor (`studies.keyset`): « Observations suivantes » carries the sort key of the
last row shown (`?after=2026-03-01.42`), « Précédentes » that of the first (`?before=…`), with the
filters and the search query kept. Full-text search results page the same way: the search only
narrows the rows (a subquery), the order stays the list's. Its « N observations » comes from the
analysis cache (`studies.analysis.cache.cached`), keyed by the study, the filters, the consents in
force (read on every request) and the generation renewed when material changes: a page view counts
no rows, and a withdrawal changes the count at once.

Team pages: access rules come from `studies.permissions` (anonymous visitors go to the login page,
outsiders get 404, team observers read but get 403 on writes). Every query starts from
`Observation.objects.consented()`, so a collective that withdraws its consent disappears from
the list and its observations cannot be opened or edited (404).

Editing uses optimistic locking: the form carries the version it was opened at, and the save
is a compare-and-swap on that version. A save built on an older version is refused (409) and the
form comes back with the person's text intact, a word diff of what changed meanwhile and the
current version number, so they can merge and save again; nothing is lost, nothing overwritten.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import OuterRef, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.search.backends import get_search_backend

from commons.markup import render_markdown
from commons.queries import count_of
from participants.models import display_name

from .. import permissions
from ..analysis.cache import cached
from ..analysis.filters import Scope, purpose_q
from ..diffing import word_diff_html
from ..forms import ObservationEditForm, ObservationFilterForm, ObservationForm
from ..keyset import BadCursor, Cursor, keyset_page
from ..models import CodedObservation, Excerpt, Observation, Purpose, StudyPage
from ..models.coding import safe_colour

PER_PAGE = 25
PURPOSE_LABELS = dict(Purpose.choices)


def observations_url(study: StudyPage) -> str:
    return study.url + study.reverse_subpage("observation_list")


def detail_url(study: StudyPage, observation: Observation) -> str:
    return study.url + study.reverse_subpage("observation_detail", args=[observation.pk])


_OBSERVERS_READ = gettext_lazy("Observers read the observations; they do not log or edit them.")


def visible_observations(study: StudyPage):
    """The study's observations that may be shown: consented ones only."""
    return Observation.objects.consented().filter(study=study)


# --- The list -----------------------------------------------------------------------------------


def _filtered(study: StudyPage, filters: dict):
    rows = visible_observations(study)
    if collective := filters.get("collective"):
        rows = rows.filter(collective=collective)
    if tool := filters.get("ai_tool"):
        rows = rows.filter(ai_tools=tool)
    if purpose := filters.get("purpose"):
        rows = rows.filter(purpose_q("pk", purpose))  # through the purposes' index
    if code := filters.get("code"):
        rows = rows.coded_with(code)  # the codebook's count uses the same definition
    if observer := filters.get("observer"):
        rows = rows.filter(observer=observer)
    if version := filters.get("protocol_version"):
        rows = rows.filter(protocol_version=version)
    if start := filters.get("date_from"):
        rows = rows.filter(observed_on__gte=start)
    if end := filters.get("date_to"):
        rows = rows.filter(observed_on__lte=end)
    return rows


def _matching(study: StudyPage, query: str):
    """Observations of the study whose title or note match `query`, by Wagtail's search backend.

    The backend only accepts filters on declared `FilterField`s, so it searches the study's
    observations and the list's own filters (consent, codes... built with `Exists`) are applied
    to the result in SQL. The database backends (FTS5 on SQLite, tsvector on PostgreSQL) hand back
    a lazy queryset, used as a subquery: one SQL query whatever the number of matches. Other
    backends (Elasticsearch...) return ids, collected in Python.
    """
    results = get_search_backend().search(
        query, Observation.objects.filter(study_id=study.pk), order_by_relevance=False
    )
    if hasattr(results, "get_queryset"):
        return results.get_queryset().values("pk")
    return [observation.pk for observation in results]


def _cursor(request: HttpRequest, name: str) -> Cursor | None:
    """The `after`/`before` cursor of the link, None when absent; `BadCursor` when malformed."""
    text = request.GET.get(name)
    return Cursor.parse(text) if text else None


def _count(study: StudyPage, filters: dict, rows) -> int:
    """How many observations the filters select, from the cache while nothing has changed.

    The key holds the filters by value (ids, not model instances, whose repr is not unique).
    """
    by_value = {key: getattr(value, "pk", value) for key, value in filters.items()}
    return cached(Scope(study, by_value, {}), "observation_list_count", (), rows.count)


_OLD_PAGE_NOTE = gettext_lazy(
    "Numbered pages no longer exist: here are the latest observations; "
    "follow « Next observations » to go further."
)
_BAD_CURSOR = gettext_lazy(
    "This page link is damaged (its position in the list cannot be read): here are the latest observations."
)


@permissions.team_required
def observation_list(request: HttpRequest, study: StudyPage) -> HttpResponse:
    """The observations, 25 at a time, newest first, with the filters and search of the form.

    Old `?page=N` links (bookmarks, the bench before cursors) are accepted and show the first page
    with a note, rather than a redirect or a mapped page: reaching page N would need the OFFSET
    this view exists to avoid, and its rows have moved since the link was made anyway. A malformed
    cursor shows the first page with a note and status 400 (the reader sees the list and what went
    wrong; a robot learns the link is bad), never a 500.
    """
    form = ObservationFilterForm(request.GET or None, study=study)
    if not permissions.can_see_identities(request.user, study):
        form.fields["collective"].label_from_instance = lambda collective: collective.code
    filters = {}
    if form.is_bound:
        form.is_valid()  # invalid values are shown as errors and dropped; the valid filters apply
        filters = form.filters()
    status, note = 200, None
    try:
        after, before = _cursor(request, "after"), _cursor(request, "before")
    except BadCursor:
        after = before = None
        status, note = 400, _BAD_CURSOR
    if note is None and request.GET.get("page", "1") != "1" and not (after or before):
        note = _OLD_PAGE_NOTE
    selected = _filtered(study, filters)
    if query := filters.get("q"):
        selected = selected.filter(pk__in=_matching(study, query))
    rows = (
        selected.select_related("collective", "observer", "observer__bec_profile", "protocol_version")
        .prefetch_related(
            Prefetch("ai_tools"),
            Prefetch(
                "coded_items", queryset=CodedObservation.objects.select_related("tag").order_by("tag__name")
            ),
        )
        .defer(
            "body", "body_html", "plain_text", "grid_answers",
            "protocol_version__grid", "protocol_version__guide",
        )
        .annotate(excerpt_count=count_of(Excerpt.objects.filter(observation=OuterRef("pk")), "observation"))
    )
    page = keyset_page(rows, PER_PAGE, after=after, before=None if after else before)
    base_url = observations_url(study)
    for observation in page.object_list:
        observer = observation.observer
        observation.observer_name = display_name(observer) if observer else _("former member")
        observation.purpose_labels = [PURPOSE_LABELS.get(value, value) for value in observation.purposes]
        observation.chips = [
            (item.tag.name, safe_colour(item.tag.colour))
            for item in observation.coded_items.all()
        ]
        observation.url = f"{base_url}{observation.pk}/"
    context = {
        "page": study,
        "self": study,
        "form": form,
        "observations": page,
        "count": _count(study, filters, selected),
        "note": note,
        "bad_cursor": status == 400,
        "past_end": after is not None and not page.object_list,
        "filtered": bool(filters),
        "can_contribute": permissions.can_contribute(request.user, study),
    }
    return render(request, "studies/observations/list.html", context, status=status)


# --- Logging and editing ------------------------------------------------------------------------


def _render_form(request, study, form, *, observation=None, preview=None, conflict=None, status=200):
    context = {
        # The stored title: a bound form writes the posted values onto its instance.
        "observation_title": getattr(observation, "stored_title", ""),
        "page": study,
        "self": study,
        "form": form,
        "observation": observation,
        "preview": preview,
        "show_errors": preview is None,
        "conflict": conflict,
    }
    return render(request, "studies/observations/form.html", context, status=status)


def _save_codes(observation: Observation, codes) -> None:
    """Whole-note codes: the cluster manager keeps them in memory until the next save()."""
    observation.codes.set(list(codes))


@permissions.contributor_required(_OBSERVERS_READ)
def observation_create(request: HttpRequest, study: StudyPage) -> HttpResponse:
    if request.method != "POST":
        return _render_form(request, study, ObservationForm(study=study))
    form = ObservationForm(request.POST, study=study)
    if "preview" in request.POST:
        return _render_form(request, study, form, preview=render_markdown(request.POST.get("body", "")))
    if not form.is_valid():
        return _render_form(request, study, form, status=400)
    with transaction.atomic():
        observation = form.save(commit=False)
        observation.study = study
        observation.observer = request.user
        _save_codes(observation, form.cleaned_data["codes"])
        observation.save()
        form.save_m2m()
    messages.success(request, _("Observation saved."))
    return redirect(detail_url(study, observation))


def _editable(study: StudyPage, observation_id: int) -> Observation:
    observation = (
        visible_observations(study)
        .select_related("collective", "protocol_version")
        .filter(pk=observation_id)
        .first()
    )
    if observation is None:
        raise Http404(_("No such observation in this study."))
    observation.stored_title = observation.title
    return observation


@permissions.contributor_required(_OBSERVERS_READ)
def observation_edit(request: HttpRequest, study: StudyPage, observation_id: int) -> HttpResponse:
    observation = _editable(study, observation_id)
    if request.method != "POST":
        return _render_form(request, study, ObservationEditForm(instance=observation, study=study),
                            observation=observation)
    form = ObservationEditForm(request.POST, instance=observation, study=study)
    if "preview" in request.POST:
        return _render_form(request, study, form, observation=observation,
                            preview=render_markdown(request.POST.get("body", "")))
    if not form.is_valid():
        return _render_form(request, study, form, observation=observation, status=400)
    posted = form.cleaned_data["version"]
    with transaction.atomic():
        # Compare-and-swap: claim the next version only if nobody saved since this form was opened.
        # The UPDATE locks the row until commit, so two concurrent saves cannot both succeed.
        claimed = Observation.objects.filter(pk=observation.pk, version=posted).update(version=posted + 1)
        if claimed:
            old_text = Observation.objects.values_list("plain_text", flat=True).get(pk=observation.pk)
            edited = form.save(commit=False)
            edited.version = posted + 1
            _save_codes(edited, form.cleaned_data["codes"])
            edited.save()
            form.save_m2m()
            from ..anchoring import reanchor_excerpts

            result = reanchor_excerpts(edited, old_text) or {}
    if not claimed:
        return _conflict(request, study, observation_id, form)
    if flagged := result.get("flagged", 0):
        messages.warning(
            request,
            _(
                "Observation saved. %(n)s coded excerpt(s) no longer match the note "
                "and are flagged for review."
            )
            % {"n": flagged},
        )
    else:
        messages.success(request, _("Observation saved."))
    return redirect(detail_url(study, edited))


# --- Conflicts ----------------------------------------------------------------------------------

def _describe(observation: Observation | None, data: dict) -> dict[str, str]:
    """Readable values of the form's fields, from a stored observation or from cleaned form data."""
    if observation is not None:
        data = {
            "title": observation.title,
            "observed_on": observation.observed_on,
            "collective": observation.collective,
            "setting": observation.setting,
            "ai_tools": list(observation.ai_tools.all()),
            "purposes": observation.purposes,
            "visibility": observation.visibility,
            "codes": [item.tag for item in observation.coded_items.select_related("tag")],
        }
    labels = {
        "setting": dict(Observation._meta.get_field("setting").choices),
        "visibility": dict(Observation._meta.get_field("visibility").choices),
    }
    described = {
        "title": data.get("title") or "",
        "observed_on": data["observed_on"].isoformat() if data.get("observed_on") else "",
        "collective": data["collective"].code if data.get("collective") else "",
        "setting": str(labels["setting"].get(data.get("setting"), data.get("setting") or "")),
        "visibility": str(labels["visibility"].get(data.get("visibility"), data.get("visibility") or "")),
        "ai_tools": ", ".join(sorted(tool.name for tool in data.get("ai_tools") or [])),
        "purposes": ", ".join(str(PURPOSE_LABELS.get(value, value)) for value in data.get("purposes") or []),
        "codes": ", ".join(sorted(code.name for code in data.get("codes") or [])),
    }
    return described


def _conflict(request: HttpRequest, study: StudyPage, observation_id: int, form) -> HttpResponse:
    """409: someone saved meanwhile. Keep the person's text, show what changed, offer the new version."""
    current = _editable(study, observation_id)
    mine = form.cleaned_data
    base_body = mine.get("base_body") or ""
    theirs, yours = _describe(current, {}), _describe(None, mine)
    field_labels = {name: form.fields[name].label for name in theirs}
    changed_fields = [
        {"label": field_labels[name], "stored": theirs[name], "yours": yours[name],
         "diff": word_diff_html(yours[name], theirs[name])}
        for name in theirs
        if theirs[name] != yours[name]
    ]
    if base_body:
        body_diff, body_diff_label = word_diff_html(base_body, current.body), _(
            "What changed in the note since you opened it"
        )
    else:
        body_diff, body_diff_label = word_diff_html(mine.get("body", ""), current.body), _(
            "Differences between your note and the stored one"
        )
    data = request.POST.copy()
    data["version"] = str(current.version)
    data["base_body"] = current.body
    conflict = {
        # Snapshots: binding `rebound` to `current` overwrites its fields with the posted values.
        "stored_body": current.body,
        "stored_version": current.version,
        "updated_at": current.updated_at,
        "fields": changed_fields,
        "body_changed": (base_body or mine.get("body", "")) != current.body,
        "body_diff": body_diff,
        "body_diff_label": body_diff_label,
        "posted_version": mine.get("version"),
    }
    rebound = ObservationEditForm(data, instance=current, study=study)
    return _render_form(request, study, rebound, observation=current, conflict=conflict, status=409)
