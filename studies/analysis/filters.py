"""One filter form for every analysis table, and the querysets it selects.

The form reads the query string; a bad value (unknown code, huge number, impossible date) is a
form error, and the tables are then computed without any filter (never a 500). `Scope` turns the
cleaned filters into:

- `Scope.excerpts()`: the consented excerpts of the study that pass the filters;
- `Scope.sources(kind)`: the consented sources of one kind (observations, interviews) that pass.

Both start from the one consent rule (`consented()` through `consented_excerpts_q`). Filters on
the source (collective and its attributes, date, protocol version, observer, AI tools, purposes)
apply to an excerpt through its source; filters on the coding (codes, coders, text) apply to a
source through its excerpts: a source passes when one of its excerpts passes.

Code matching (``match``): ``any`` — the excerpt carries one of the codes; ``all`` — it carries
every one; ``overlap`` — it carries one of them and, for every other one, carries it too or
overlaps (shares a character with) an excerpt of the same source carrying it; ``source`` — it
carries one of them and its source has excerpts carrying every one. With ``subcodes``, a code
stands for itself and its descendants.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from participants.formfields import QuickSelect, QuickSelectMultiple
from participants.models import Collective, display_name
from participants.models.collectives import LegalForm, SizeBand

from ..models import AITool, Code, Excerpt, ObservationPurpose, ProtocolVersion, Purpose, StudyPage
from ..sources import KINDS, consented_excerpts_q

#: At most this many codes in one filter (each one is a sub-query under « all » and « overlap »).
MAX_CODES = 12
#: Numbers in the query string above this are refused before they reach the database.
MAX_ID = 2**31 - 1

MATCH_ANY, MATCH_ALL, MATCH_OVERLAP, MATCH_SOURCE = "any", "all", "overlap", "source"


@dataclass(frozen=True)
class KindPaths:
    """Where a kind of source keeps what the filters and crosstabs read (None: it has none)."""

    slug: str
    field: str  # the excerpt's foreign key to it
    collective: str
    date: str
    person: str  # who logged it: the observer, the interviewer
    ai_tools: str | None
    purposes: str | None


PATHS: dict[str, KindPaths] = {
    "observations": KindPaths(
        "observations", "observation", "collective", "observed_on", "observer", "ai_tools", "purposes"
    ),
    "interviews": KindPaths(
        "interviews", "interview", "informant__collective", "conducted_on", "interviewer", None, None
    ),
}


#: Readings of the library (the literature review): no collective, date, protocol version, AI tool
#: or purpose, so a filter on any of these leaves them out; « observers » is who started the reading.
#: Not in `PATHS` (the tables per collective, date… read the field material only): chosen by
#: ``kind=readings``.
READING_PATHS = KindPaths("readings", "reading", "", "", "added_by", None, None)
#: The filters a reading cannot pass (it has none of these attributes).
_FIELD_ONLY = ("collectives", "legal_forms", "sectors", "size_bands", "territories", "date_from",
               "date_to", "versions", "ai_tools", "purposes")


def purpose_q(path: str, purpose: str) -> Q:
    """The observation whose primary key is at `path` (``"pk"``, ``"observation__pk"``) has `purpose`.

    The one purpose filter (observation list, analysis tables): the observation is among the
    `ObservationPurpose` rows of `purpose`, read from their (purpose, observation) index on SQLite and
    PostgreSQL alike, where matching the JSON list read as text scanned every observation. ``IN``
    rather than a correlated ``EXISTS``: PostgreSQL plans both as the same semi-join, while SQLite
    probes the table once per observation for ``EXISTS`` but reads the purpose's index range once
    for ``IN`` (at 10,000 observations, the analysis filter 22 ms with ``EXISTS``, 14 ms with ``IN``).
    """
    rows = ObservationPurpose.objects.filter(purpose=purpose).values("observation_id")
    return Q(**{f"{path}__in": rows})


def code_tree(study: StudyPage) -> dict[int, Code]:
    """The study's codes by id, each with `path` (« Family › code »), `depth` and `subtree` (ids).

    One query; the tree is built in Python (a code whose parent is missing becomes a family).
    """
    codes = {
        code.pk: code for code in Code.objects.filter(study=study).only("pk", "name", "parent_id", "colour")
    }
    children: dict[int | None, list[Code]] = {}
    for code in codes.values():
        children.setdefault(code.parent_id if code.parent_id in codes else None, []).append(code)
    for siblings in children.values():
        siblings.sort(key=lambda code: (code.name.lower(), code.pk))
    order: list[Code] = []

    def walk(code: Code, depth: int, path: list[str]) -> set[int]:
        code.depth, code.path = depth, " › ".join([*path, code.name])
        order.append(code)
        subtree = {code.pk}
        for child in children.get(code.pk, ()):
            if not hasattr(child, "subtree"):
                subtree |= walk(child, depth + 1, [*path, code.name])
        code.subtree = frozenset(subtree)
        return subtree

    for root in children.get(None, ()):
        walk(root, 0, [])
    for code in codes.values():  # a cycle (corrupt data): still listed
        if not hasattr(code, "subtree"):
            walk(code, 0, [])
    return {code.pk: code for code in order}


class _Ids(forms.TypedMultipleChoiceField):
    widget = QuickSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, required=False, **kwargs)


class _Choices(forms.MultipleChoiceField):
    widget = QuickSelectMultiple


class FilterForm(forms.Form):
    """The filters of every analysis table (GET). Choices are the study's own codes, people, etc."""

    codes = _Ids(label=_("Codes"))
    match = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Codes to match"),
        required=False,
        initial=MATCH_ANY,
        choices=[
            (MATCH_ANY, _("any of them")),
            (MATCH_ALL, _("all of them, on the same excerpt")),
            (MATCH_OVERLAP, _("all of them, on overlapping excerpts")),
            (MATCH_SOURCE, _("all of them, in the same source")),
        ],
    )
    subcodes = forms.BooleanField(label=_("Include sub-codes"), required=False)
    kind = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Source"),
        required=False,
        choices=[
            ("", _("observations and interviews")),
            ("observations", _("observations")),
            ("interviews", _("interviews")),
            ("readings", _("readings (literature)")),
        ],
    )
    collectives = _Ids(label=_("Collectives"))
    legal_forms = _Choices(label=_("Legal form"), required=False, choices=LegalForm.choices)
    sectors = _Choices(label=_("Sector"), required=False)
    size_bands = _Choices(label=_("Size"), required=False, choices=SizeBand.choices)
    territories = _Choices(label=_("Territory"), required=False)
    coders = _Ids(label=_("Coders"))
    observers = _Ids(label=_("Observers and interviewers"))
    ai_tools = _Ids(label=_("AI tools"))
    purposes = _Choices(label=_("Purposes"), required=False, choices=Purpose.choices)
    versions = _Ids(label=_("Protocol version"))
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Text contains"), required=False, max_length=200)

    #: Field name -> the page's `Scope.describe` label order.
    MULTI = (
        "codes",
        "collectives",
        "legal_forms",
        "sectors",
        "size_bands",
        "territories",
        "coders",
        "observers",
        "ai_tools",
        "purposes",
        "versions",
    )

    def __init__(self, data=None, *, study: StudyPage, codes: dict[int, Code] | None = None) -> None:
        super().__init__(data)
        self.study = study
        self.tree = codes if codes is not None else code_tree(study)
        self.fields["codes"].choices = [
            (str(code.pk), "\u2003" * code.depth + code.name) for code in self.tree.values()
        ]
        collectives = list(
            Collective.objects.filter(bureau_id=study.bureau.pk)
            .order_by("code")
            .values_list("pk", "code", "sector", "territory")
        )
        # Pseudonyms only: a collective's real name never reaches an analysis page or file.
        self.fields["collectives"].choices = [(str(pk), code) for pk, code, _s, _t in collectives]
        self.fields["sectors"].choices = [(v, v) for v in sorted({s for _p, _c, s, _t in collectives if s})]
        self.fields["territories"].choices = [
            (v, v) for v in sorted({t for _p, _c, _s, t in collectives if t})
        ]
        people = self._people()
        self.fields["coders"].choices = self.fields["observers"].choices = people
        self.fields["ai_tools"].choices = [
            (str(pk), name) for pk, name in AITool.objects.values_list("pk", "name")
        ]
        self.fields["versions"].choices = [
            (str(pk), f"v{number}")
            for pk, number in ProtocolVersion.objects.filter(protocol__path__startswith=study.path)
            .order_by("number")
            .values_list("pk", "number")
        ]

    def _people(self) -> list[tuple[str, str]]:
        """Members of the bureau, by display name (the team sees each other's names)."""
        from commons.models import Membership

        members = Membership.objects.filter(bureau_id=self.study.bureau.pk).values("user_id")
        users = get_user_model().objects.filter(pk__in=members).select_related("bec_profile").order_by("pk")
        return sorted(
            ((str(user.pk), display_name(user)) for user in users), key=lambda item: item[1].lower()
        )

    def clean_codes(self) -> list[int]:
        codes = self.cleaned_data["codes"]
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(_("Choose at most %(max)s codes.") % {"max": MAX_CODES})
        return codes

    def clean(self) -> dict:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date comes before the start date."))
        return data

    def filters(self) -> dict:
        """The cleaned filters, or none at all when the form has an error (the unfiltered table)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {
            name: value for name, value in self.cleaned_data.items() if value not in (None, "", [], False)
        }

    def describe(self) -> list[tuple[str, str]]:
        """(label, values) of each filter in force, for a page heading or a download's first rows."""
        out = []
        for name, value in self.filters().items():
            field = self.fields[name]
            if name in self.MULTI:
                labels = dict(field.choices)
                text = ", ".join(
                    self.tree[item].path if name == "codes" else str(labels.get(str(item), item))
                    for item in value
                )
            elif isinstance(field, forms.ChoiceField):
                text = str(dict(field.choices).get(value, value))
            elif isinstance(field, forms.BooleanField):
                text = str(_("yes"))
            else:
                text = value.isoformat() if isinstance(value, date) else str(value)
            out.append((str(field.label), text))
        return out


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of `month`."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


class Scope:
    """Cleaned filters applied to one study: the excerpts and the sources they select."""

    def __init__(self, study: StudyPage, filters: dict, codes: dict[int, Code]) -> None:
        self.study = study
        self.filters = filters
        self.codes = codes

    # --- kinds and source conditions -----------------------------------------------------------

    def kinds(self) -> list[KindPaths]:
        """The kinds of source the filters allow (AI tools and purposes exist on observations only).

        Readings only when asked for (``kind=readings``), and then none if a filter concerns the field.
        """
        if self.filters.get("kind") == READING_PATHS.slug:
            return [] if any(self.filters.get(name) for name in _FIELD_ONLY) else [READING_PATHS]
        kinds = [PATHS[self.filters["kind"]]] if self.filters.get("kind") else list(PATHS.values())
        if self.filters.get("ai_tools") or self.filters.get("purposes"):
            kinds = [paths for paths in kinds if paths.ai_tools is not None]
        return kinds

    def source_q(self, paths: KindPaths, prefix: str = "") -> Q:
        """Conditions on the source itself (reached through `prefix`, e.g. ``"observation__"``)."""
        f, p = self.filters, prefix
        condition = Q()
        collective = f"{p}{paths.collective}"
        if f.get("collectives"):
            condition &= Q(**{f"{collective}__in": f["collectives"]})
        for name, attribute in (
            ("legal_forms", "legal_form"),
            ("sectors", "sector"),
            ("size_bands", "size_band"),
            ("territories", "territory"),
        ):
            if f.get(name):
                condition &= Q(**{f"{collective}__{attribute}__in": f[name]})
        if f.get("date_from"):
            condition &= Q(**{f"{p}{paths.date}__gte": f["date_from"]})
        if f.get("date_to"):
            condition &= Q(**{f"{p}{paths.date}__lte": f["date_to"]})
        if f.get("versions"):
            condition &= Q(**{f"{p}protocol_version__in": f["versions"]})
        if f.get("observers"):
            condition &= Q(**{f"{p}{paths.person}__in": f["observers"]})
        if f.get("ai_tools"):
            tools = AITool.observations.through.objects.filter(aitool__in=f["ai_tools"])
            condition &= Q(**{f"{p}pk__in": tools.values("observation_id")})
        for purpose in f.get("purposes", ()):  # every purpose chosen (a note can have several)
            condition &= purpose_q(f"{p}pk", purpose)
        return condition

    # --- excerpts -------------------------------------------------------------------------------

    def expanded(self, code_id: int) -> frozenset[int]:
        code = self.codes.get(code_id)
        if code is None:
            return frozenset({code_id})
        return code.subtree if self.filters.get("subcodes") else frozenset({code_id})

    def base_q(self) -> Q:
        """Every filter on an excerpt except its codes: consent, source, coder, text."""
        kinds = self.kinds()
        if READING_PATHS in kinds:
            condition = Q(reading__in=KINDS[READING_PATHS.slug].consented(self.study).values("pk"))
        else:
            condition = consented_excerpts_q(self.study)
        if len(kinds) < len(PATHS) or any(self.source_q(paths) for paths in kinds):
            by_kind = Q(pk__in=[])
            for paths in kinds:
                by_kind |= Q(**{f"{paths.field}__isnull": False}) & self.source_q(paths, f"{paths.field}__")
            condition &= by_kind
        if self.filters.get("coders"):
            condition &= Q(coder__in=self.filters["coders"])
        if self.filters.get("q"):
            condition &= Q(text__icontains=self.filters["q"])
        return condition

    def _carries(self, codes: Iterable[int]) -> Exists:
        return Exists(Excerpt.codes.through.objects.filter(excerpt=OuterRef("pk"), code__in=list(codes)))

    def _beside(self, base: Q, codes: Iterable[int], *, overlapping: bool) -> Exists:
        """Another (or the same) excerpt of the same source, passing `base`, carrying one of `codes`."""
        same_source = (
            Q(observation_id=OuterRef("observation_id"))
            | Q(interview_id=OuterRef("interview_id"))
            | Q(reading_id=OuterRef("reading_id"))
        )
        others = Excerpt.objects.filter(base, same_source, codes__in=list(codes))
        if overlapping:
            others = others.filter(start__lt=OuterRef("end"), end__gt=OuterRef("start"))
        return Exists(others)

    def code_q(self, base: Q) -> Q:
        codes = self.filters.get("codes") or []
        if not codes:
            return Q()
        groups = [self.expanded(code) for code in codes]
        union = frozenset().union(*groups)
        match = self.filters.get("match") or MATCH_ANY
        condition = Q(self._carries(union))
        if match == MATCH_ALL:
            for group in groups:
                condition &= Q(self._carries(group))
        elif match == MATCH_OVERLAP:
            for group in groups:
                condition &= Q(self._carries(group)) | Q(self._beside(base, group, overlapping=True))
        elif match == MATCH_SOURCE:
            for group in groups:
                condition &= Q(self._beside(base, group, overlapping=False))
        return condition

    def excerpts(self) -> QuerySet:
        """The consented excerpts of the study passing every filter (unordered)."""
        base = self.base_q()
        return Excerpt.objects.filter(base).filter(self.code_q(base)).order_by()

    def codes_filtered(self) -> bool:
        """Whether any filter concerns the coding (then a source needs a passing excerpt)."""
        return bool(self.filters.get("codes") or self.filters.get("coders") or self.filters.get("q"))

    # --- sources --------------------------------------------------------------------------------

    def sources(self, paths: KindPaths) -> QuerySet:
        """The consented sources of one kind passing the filters (empty when the kind is filtered out)."""
        model = KINDS[paths.slug].model
        queryset = model.objects.consented().filter(study=self.study).order_by()
        if paths not in self.kinds():
            return queryset.none()
        queryset = queryset.filter(self.source_q(paths))
        if self.codes_filtered():
            queryset = queryset.filter(Exists(self.excerpts().filter(**{paths.field: OuterRef("pk")})))
        return queryset


def scope_for(study: StudyPage, data) -> tuple[FilterForm, Scope]:
    """The filter form bound to `data` (a QueryDict) and the scope it selects (unfiltered on errors)."""
    form = FilterForm(data if any(name in data for name in FilterForm.base_fields) else None, study=study)
    return form, Scope(study, form.filters(), form.tree)
