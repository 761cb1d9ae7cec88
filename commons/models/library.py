"""The bureau's library: bibliographic references its studies read, code and cite.

A `Reference` belongs to one bureau (every study of the bureau may read and cite it). Its fields are
the CSL-JSON ones researchers' tools agree on (`commons.library.records` maps them to BibTeX, RIS
and CSL-JSON and back); `key` is the citation key written ``[@key]`` in the bureau's Markdown texts.
The team's notes and codes live on each study's reading of it (`studies.Reading`): the codes are a
study's codebook, not the bureau's.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Longest citation key kept (BibTeX keys from Zotero and Better BibTeX are far shorter).
KEY_MAX = 100
KEY_RE = re.compile(r"^[\w][\w:.#$%&+?<>~/-]*$")


class ReferenceType(models.TextChoices):
    """The CSL item types the library distinguishes; anything else is kept as « document »."""

    ARTICLE_JOURNAL = "article-journal", _("journal article")
    BOOK = "book", _("book")
    CHAPTER = "chapter", _("book chapter")
    REPORT = "report", _("report")
    PAPER_CONFERENCE = "paper-conference", _("conference paper")
    THESIS = "thesis", _("thesis")
    ARTICLE_NEWSPAPER = "article-newspaper", _("newspaper article")
    WEBPAGE = "webpage", _("web page")
    DATASET = "dataset", _("dataset")
    DOCUMENT = "document", _("other document")


def normalise_title(title: str) -> str:
    """The title as duplicates are compared: accents, case, punctuation and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", title or "")
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())[:300]


def normalise_doi(doi: str) -> str:
    """A DOI without its resolver prefix, lower case (DOIs are case-insensitive)."""
    doi = (doi or "").strip()
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.IGNORECASE)
    return doi.lower()


class ReferenceQuerySet(models.QuerySet):
    def of_bureau(self, bureau) -> ReferenceQuerySet:
        return self.filter(bureau=bureau)


class Reference(models.Model):
    """One bibliographic record of a bureau's library."""

    bureau = models.ForeignKey("commons.BureauPage", on_delete=models.CASCADE, related_name="references")
    key = models.CharField(_("citation key"), max_length=KEY_MAX)
    kind = models.CharField(_("type"), max_length=30, choices=ReferenceType.choices,
                            default=ReferenceType.ARTICLE_JOURNAL)
    #: CSL names: ``[{"family": "…", "given": "…"}]`` or ``[{"literal": "…"}]`` for an institution.
    authors = models.JSONField(_("authors"), default=list, blank=True)
    title = models.CharField(_("title"), max_length=500)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    container = models.CharField(
        _("container"), max_length=500, blank=True, help_text=_("Journal, book or site it appeared in.")
    )
    volume = models.CharField(_("volume"), max_length=50, blank=True)
    issue = models.CharField(_("issue"), max_length=50, blank=True)
    pages = models.CharField(_("pages"), max_length=50, blank=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    abstract = models.TextField(_("abstract"), blank=True)
    language = models.CharField(_("language"), max_length=35, blank=True)
    #: Derived at save, for duplicate detection (`commons.library.importing`).
    doi_key = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    title_key = models.CharField(max_length=300, blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["key", "pk"]
        constraints = [models.UniqueConstraint(fields=["bureau", "key"], name="reference_key_per_bureau")]
        indexes = [models.Index(fields=["bureau", "title_key", "year"])]

    def __str__(self) -> str:
        return f"{self.author_label} ({self.year or 's. d.'}) {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.derive()
        super().save(*args, **kwargs)

    def derive(self) -> None:
        """Fill the duplicate-detection columns (called by `save`, and before a `bulk_create`)."""
        self.doi = (self.doi or "").strip()
        self.doi_key = normalise_doi(self.doi)
        self.title_key = normalise_title(self.title)

    @property
    def author_label(self) -> str:
        """« Family », « Family & Family » or « Family et al. », for lists."""
        names = [a.get("family") or a.get("literal") or "" for a in self.authors or () if isinstance(a, dict)]
        names = [n for n in names if n]
        if not names:
            return "—"
        if len(names) > 2:
            return f"{names[0]} et al."
        return " & ".join(names)
