"""Governance: decision rules, proposals, the electorate snapshot, ballots and their history.

The arithmetic lives in `commons.voting` (pure); the state changes live in `commons.actions`
(services). These models hold the data, its integrity constraints and the facts that follow from
one row alone (`Proposal.can_be_withdrawn`, the longest title or reason a field takes).
"""

from __future__ import annotations

from fractions import Fraction

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import MarkdownField, html_field

#: Grades of majority judgment, best first (stored by key; labels are translated).
GRADE_SCALE = ("excellent", "very_good", "good", "fair", "poor", "reject")
GRADE_LABELS = {
    "excellent": _("excellent"),
    "very_good": _("very good"),
    "good": _("good"),
    "fair": _("fair"),
    "poor": _("poor"),
    "reject": _("reject"),
}


class Method(models.TextChoices):
    MAJORITY = "majority", _("simple majority")
    QUALIFIED = "qualified", _("qualified majority")
    CONSENT = "consent", _("consent (no objection)")
    CONSENSUS = "consensus", _("consensus (nobody against)")
    MAJORITY_JUDGMENT = "majority_judgment", _("majority judgment (several options)")


class ResultsVisibility(models.TextChoices):
    LIVE = "live", _("visible while the vote is open")
    AFTER_CLOSE = "after_close", _("hidden until the close")


def validate_ratio(value: str) -> None:
    """A ratio is written as a fraction ("2/3") or a decimal ("0.5"), between 0 and 1."""
    try:
        ratio = Fraction(value.strip())
    except (ValueError, ZeroDivisionError) as error:
        raise ValidationError(_("Write a fraction such as 2/3 or a decimal such as 0.5.")) from error
    if not 0 <= ratio <= 1:
        raise ValidationError(_("A ratio is between 0 and 1."))


class DecisionRule(models.Model):
    """How a bureau decides one kind of question: method, quorum, threshold, duration, colleges."""

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="decision_rules")
    name = models.CharField(_("name"), max_length=120)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.MAJORITY)
    quorum = models.CharField(
        _("quorum"),
        max_length=20,
        default="0",
        validators=[validate_ratio],
        help_text=_(
            "Share of the electorate that must take part (ballots cast, abstentions included): "
            "e.g. 1/2. 0 for none."
        ),
    )
    threshold = models.CharField(
        _("threshold"),
        max_length=20,
        blank=True,
        validators=[validate_ratio],
        help_text=_("For a qualified majority: the share of « for » among expressed ballots, e.g. 2/3."),
    )
    default_duration_days = models.PositiveSmallIntegerField(_("voting period (days)"), default=7)
    use_colleges = models.BooleanField(_("weight by college"), default=False)
    results_visibility = models.CharField(
        _("results"), max_length=20, choices=ResultsVisibility.choices, default=ResultsVisibility.AFTER_CLOSE
    )
    is_default = models.BooleanField(_("default rule of the bureau"), default=False)
    min_days_before_early_close = models.PositiveSmallIntegerField(
        _("minimum days before an early close"),
        default=2,
        help_text=_(
            "A coordinator may close the vote before its deadline, giving a reason, only once it has "
            "been open this many days. A vote always ends when the whole electorate has voted."
        ),
    )
    max_proxies_per_holder = models.PositiveSmallIntegerField(
        _("proxies per holder"),
        default=1,
        help_text=_(
            "How many members' votes one member may carry by proxy (a member of the same college); "
            "0 allows no proxy."
        ),
    )

    class Meta:
        verbose_name = _("decision rule")
        verbose_name_plural = _("decision rules")
        ordering = ["bureau", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="unique_rule_name_per_bureau"),
            models.UniqueConstraint(fields=["bureau"], condition=Q(is_default=True), name="one_default_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_method_display()})"

    def clean(self) -> None:
        if self.method == Method.QUALIFIED and not self.threshold:
            raise ValidationError({"threshold": _("A qualified majority needs a threshold, e.g. 2/3.")})
        if self.threshold:
            try:
                if Fraction(self.threshold) <= 0:
                    raise ValidationError({"threshold": _("The threshold must be above 0.")})
            except (ValueError, ZeroDivisionError):
                pass  # the field validator reports it

    def summary(self) -> dict:
        """The rule as applied, frozen into each decision (rules may change later)."""
        return {
            "name": self.name,
            "method": self.method,
            "quorum": self.quorum,
            "threshold": self.threshold or None,
            "use_colleges": self.use_colleges,
        }

    def label(self) -> str:
        """« Name — method », without repeating a method the name already says."""
        method = str(self.get_method_display())
        if method.casefold() in self.name.casefold():
            return self.name
        return f"{self.name} — {method}"


class ProposalKind(models.TextChoices):
    PROTOCOL = "protocol_amendment", _("protocol amendment")
    CODEBOOK = "codebook_change", _("codebook change")
    PUBLICATION = "publication", _("publication")
    MEMBERSHIP = "membership", _("membership")
    FREE = "free", _("free question")
    CHOICE = "choice", _("choice among options")
    RULES = "rules_change", _("change of the decision rules")
    REGISTRATION = "registration", _("registration of a protocol version")
    RESOURCE = "resource", _("publication of a resource")
    REFERENTIAL = "referential_adoption", _("adoption of a referential version")
    PLAN = "engagement_plan", _("adoption of an engagement plan")
    REVIEW = "review_closing", _("closing of an assessment's review")


#: The kinds whose proposals carry options to grade (their rule is a majority judgment).
OPTION_KINDS = (ProposalKind.CHOICE,)
#: The kinds proposed from the object they act on (a protocol version's page), never from the
#: new-proposal page: their proposal must name that object.
TARGETED_KINDS = (
    ProposalKind.REGISTRATION,
    ProposalKind.REFERENTIAL,
    ProposalKind.PLAN,
    ProposalKind.REVIEW,
)

#: The kinds that put an area under governance by their mere presence in the bureau's table: with a
#: line for « codebook change », renames, moves, merges and definitions of codes go to a vote; with
#: one for « membership », invitations and exclusions do. A new bureau has neither (its codebook and
#: membership stay free); an adopted « change of the decision rules » adds or removes the line. With a
#: line for « publication of a resource », a resource of the public inventory is published only by vote.
#: Their proposals carry the exact change (`Proposal.payload`) and are made from the codebook, members
#: or resources page, not from the free new-proposal form (`commons.changes`).
SWITCH_KINDS = (ProposalKind.CODEBOOK, ProposalKind.MEMBERSHIP, ProposalKind.RESOURCE)


class KindRule(models.Model):
    """One line of the bureau's table « kind of proposal → decision rule ».

    The table is the bureau's governance as applied: the new-proposal page and the workflow take a
    proposal's rule from it (no free pairing), the bureau page shows it, and only an adopted
    proposal of kind « change of the decision rules » changes it (`actions.close_proposal`). It is
    neither edited in the admin nor anywhere else.
    """

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="kind_rules")
    kind = models.CharField(_("kind"), max_length=30, choices=ProposalKind.choices)
    rule = models.ForeignKey(DecisionRule, on_delete=models.PROTECT, related_name="kinds")

    class Meta:
        verbose_name = _("decision rule of a kind of proposal")
        verbose_name_plural = _("decision rules by kind of proposal")
        constraints = [models.UniqueConstraint(fields=["bureau", "kind"], name="one_rule_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.rule.name}"


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open")
    ADOPTED = "adopted", _("adopted")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


CLOSED_STATUSES = (Status.ADOPTED, Status.REJECTED)


class ProposalQuerySet(models.QuerySet):
    def due(self) -> ProposalQuerySet:
        """Open proposals whose voting period is over: to be closed."""
        return self.filter(status=Status.OPEN, closes_at__lte=timezone.now())


class Proposal(models.Model):
    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="proposals")
    rule = models.ForeignKey(
        DecisionRule, verbose_name=_("decision rule"), on_delete=models.PROTECT, related_name="proposals"
    )
    title = models.CharField(_("title"), max_length=200)
    body = MarkdownField(_("proposal"), html_field="body_html", help_text=_("Markdown."))
    body_html = html_field()
    kind = models.CharField(_("kind"), max_length=30, choices=ProposalKind.choices, default=ProposalKind.FREE)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    #: Snapshot taken at opening: {college name: weight}; empty when the rule ignores colleges.
    college_weights = models.JSONField(default=dict, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: A « change of the decision rules »: the table it proposes, {kind: rule id}, applied if adopted.
    proposed_rules = models.JSONField(default=dict, blank=True, editable=False)
    #: An early close by a coordinator (`actions.close_early`): who, when and why.
    closed_early_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_early_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_early_reason = models.TextField(blank=True, editable=False)
    #: The exact change a proposal of a `SWITCH_KINDS` kind carries (checked when proposed, applied on
    #: adoption by `commons.changes`), e.g. {"op": "rename", "code": 12, "from": {...}, "to": {...}}.
    #: A key « concerned_user » names the person the proposal is about: told, never in the electorate.
    payload = models.JSONField(default=dict, blank=True, editable=False)
    #: What adoption did with the payload: {"status": "applied" | "not_applicable", "message": ...}.
    #: Kept beside the immutable decision (the vote stands even when the change no longer applies).
    change_result = models.JSONField(default=dict, blank=True, editable=False)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["bureau", "status", "closes_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"])
                | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="proposal_open_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def accepts_ballots(self) -> bool:
        """Open and before the deadline, by server time, whether or not anything has closed it yet."""
        return self.accepts_ballots_at(timezone.now())

    def accepts_ballots_at(self, moment) -> bool:
        return self.is_open and self.opens_at <= moment < self.closes_at

    @property
    def is_due(self) -> bool:
        return self.is_open and self.closes_at <= timezone.now()

    @property
    def uses_options(self) -> bool:
        return self.rule.method == Method.MAJORITY_JUDGMENT

    @property
    def is_editable_draft(self) -> bool:
        """A draft its author may still edit or delete: not opened, and not a workflow submission
        (whose text is the submitted page, edited in the admin)."""
        return self.status == Status.DRAFT and self.target_id is None and not self.payload

    @property
    def concerned_user_id(self) -> int | None:
        """The person a membership proposal is about: told of it, may comment, never votes on it."""
        value = (self.payload or {}).get("concerned_user")
        return value if isinstance(value, int) else None

    @property
    def can_be_withdrawn(self) -> bool:
        """A draft, or a vote still running: a due vote is decided by its ballots, not withdrawn.

        The one statement of the rule: `actions.withdraw_proposal` enforces it, the proposal page
        offers the button by it, and a cancelled workflow withdraws its vote only when it holds.
        """
        return self.status in (Status.DRAFT, Status.OPEN) and not self.is_due

    def citation_bureau(self):
        """Whose library its ``[@key]`` citations come from (`commons.fields.MarkdownField`)."""
        return self.bureau if self.bureau_id else None


class ProposalOption(models.Model):
    """One of the options graded in a majority-judgment proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["proposal", "label"], name="unique_option_label")]

    def __str__(self) -> str:
        return self.label


class Elector(models.Model):
    """A member entitled to vote on a proposal, frozen when it opened (with their college then)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="electors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    college = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="one_elector_per_member")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.proposal_id}"


class BallotChoice(models.TextChoices):
    FOR = "for", _("for")
    AGAINST = "against", _("against")
    ABSTAIN = "abstain", _("abstain")
    BLOCK = "block", _("block (objection)")


class Ballot(models.Model):
    """The current ballot of one member on one proposal. Changes are kept in `BallotChange`."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ballots")
    choice = models.CharField(max_length=10, choices=BallotChoice.choices, blank=True)
    reason = models.TextField(blank=True, max_length=4000)
    #: Majority judgment: {option id (str): grade key}.
    grades = models.JSONField(default=dict, blank=True)
    cast_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    #: The proxy holder who cast this ballot for `voter`; empty when the member voted themselves.
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "voter"], name="one_ballot_per_member")]

    def __str__(self) -> str:
        return f"{self.voter} → {self.choice or self.grades}"


class BallotChange(models.Model):
    """Every ballot as it was cast or changed, with its time: the audit trail of a vote."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballot_changes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=10, blank=True)
    reason = models.TextField(blank=True)
    grades = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    #: The proxy holder who cast this change for `voter`, if one did.
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.voter} → {self.choice or self.grades} ({self.at:%Y-%m-%d %H:%M})"


class Comment(models.Model):
    """The discussion thread of a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = MarkdownField(_("comment"), html_field="body_html")
    body_html = html_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} ({self.created_at:%Y-%m-%d %H:%M})"


class ImmutableError(Exception):
    """Raised when code tries to change or delete a recorded decision."""


class DecisionQuerySet(models.QuerySet):
    """Bulk writes are refused too: only raw SQL can alter the register, and `verify_decisions` sees it."""

    def update(self, **kwargs):
        raise ImmutableError("Decisions are never changed once recorded.")

    def delete(self):
        raise ImmutableError("Decisions are never deleted.")


class Decision(models.Model):
    """The immutable record of a closed proposal, chained by SHA-256 to the bureau's previous decision."""

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.PROTECT, related_name="decisions")
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="decision")
    sequence = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=30)
    outcome = models.CharField(max_length=20)  # adopted | rejected
    reason = models.CharField(max_length=30)
    rule = models.JSONField()
    counts = models.JSONField()
    score = models.CharField(max_length=40, blank=True)  # exact share, as a fraction "9/14"
    ranking = models.JSONField(default=list, blank=True)  # majority judgment: option labels, best first
    electorate_size = models.PositiveIntegerField()
    ballots_cast = models.PositiveIntegerField()
    closed_at = models.DateTimeField()
    #: How the vote ended before its deadline, if it did: {"how": "everyone_voted"} or
    #: {"how": "coordinator", "at": iso time, "reason": text}. Hashed when not empty. Who closed it is
    #: the proposal's `closed_early_by`, shown beside it but never hashed (chain format 2: no
    #: personal data in what a hash covers, so a member can leave without breaking the register).
    early_close = models.JSONField(default=dict, blank=True)
    #: Proxies on this vote: {"given": n, "used": n} (counts; who is on the proposal page). Hashed
    #: when not empty, so that decisions recorded before proxies existed keep their hashes.
    proxies = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)
    #: The hash this decision had in chain format 1 (emailed when it was decided), kept so that a
    #: copy held outside can still be matched; empty for decisions recorded in format 2, and for
    #: format-1 decisions whose payload held a name (the old hash would let one test guesses).
    legacy_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["bureau", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "sequence"], name="one_decision_per_sequence")
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("A decision is never changed once recorded.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A decision is never deleted.")

    @property
    def adopted(self) -> bool:
        return self.outcome == "adopted"


#: What a decision's hash covers (`commons.actions.canonical_payload`): format 2 holds no name.
CHAIN_FORMAT = 2


class ChainFormatChange(models.Model):
    """The register's note that its hash chain changed format: when, how many decisions were
    re-hashed, and the head of the chain before and after (so an old copy can still be matched).

    Written by the migration that changes the format, after it has verified the old chain.
    """

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.PROTECT, related_name="chain_changes")
    format = models.PositiveSmallIntegerField()
    changed_at = models.DateTimeField(default=timezone.now)
    decisions = models.PositiveIntegerField()
    previous_head = models.CharField(max_length=64)
    new_head = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("change of the register's format")
        verbose_name_plural = _("changes of the register's format")
        ordering = ["bureau", "changed_at"]

    def __str__(self) -> str:
        return f"{self.bureau_id}: format {self.format} ({self.changed_at:%Y-%m-%d})"


#: The longest proposal title, option label and ballot explanation: read from the fields, so that
#: forms, actions, templates and error messages follow a change of the column.
PROPOSAL_TITLE_MAX: int = Proposal._meta.get_field("title").max_length
OPTION_LABEL_MAX: int = ProposalOption._meta.get_field("label").max_length
BALLOT_REASON_MAX: int = Ballot._meta.get_field("reason").max_length
