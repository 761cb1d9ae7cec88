"""Demo data for the REFI-QDA exchange: a small project « exported by NVivo », imported into the demo
study as documents.

The file is built here as a real `.qdpx` would come from NVivo on Windows (UTF-8 with a BOM, CRLF
line breaks, an emoji, offsets in UTF-16 units with CRLF counted two) and imported through the
same code as the study's import page (`studies.exchange.importing.import_file`), so the demo shows
documents, their coded passages, a coder recognised among the members (Léa Dubois, by name) and
one kept as an imported coder. Idempotent: the document's GUID is fixed, and a second run finds it.
"""

from __future__ import annotations

import io
import uuid
import zipfile

from .exchange.importing import import_file
from .models import Document, StudyPage

SOURCE_GUID = uuid.UUID("3b0f6a52-7c1e-4d9a-9a43-1f2e3d4c5b6a")
CODES = {
    "family": uuid.UUID("3b0f6a52-7c1e-4d9a-9a43-000000000001"),
    "translation": uuid.UUID("3b0f6a52-7c1e-4d9a-9a43-000000000002"),
    "worry": uuid.UUID("3b0f6a52-7c1e-4d9a-9a43-000000000003"),
}
USERS = {
    "lea": (uuid.UUID("3b0f6a52-7c1e-4d9a-9a43-0000000000a1"), "Léa Dubois"),
    "jordan": (uuid.UUID("3b0f6a52-7c1e-4d9a-9a43-0000000000a2"), "Jordan (NVivo)"),
}
TEXT = (
    "Compte rendu de l'atelier du réseau partenaire 🌍\r\n"
    "Les bénévoles traduisent les affiches en arabe et en ukrainien avec DeepL, puis une personne relit.\r\n"
    "Une salariée craint que les subventions exigent bientôt des bilans écrits par IA.\r\n"
)
#: (passage, code, coder)
PASSAGES = (
    ("traduisent les affiches en arabe et en ukrainien avec DeepL", "translation", "lea"),
    ("une personne relit", "translation", "jordan"),
    ("craint que les subventions exigent bientôt des bilans écrits par IA", "worry", "jordan"),
)


def _utf16(text: str, passage: str) -> tuple[int, int]:
    """NVivo's positions of `passage`: UTF-16 units, CRLF counted two, the BOM not counted."""
    index = text.index(passage)
    start = len(text[:index].encode("utf-16-le")) // 2
    return start, start + len(passage.encode("utf-16-le")) // 2


def sample_qdpx() -> bytes:
    """The demo project as NVivo would write it (see module docstring)."""
    selections = []
    for n, (passage, code, coder) in enumerate(PASSAGES):
        start, end = _utf16(TEXT, passage)
        selections.append(
            f'<PlainTextSelection guid="{uuid.uuid5(SOURCE_GUID, str(n))}" name="{passage}" '
            f'startPosition="{start}" endPosition="{end}" creatingUser="{USERS[coder][0]}">'
            f'<Coding guid="{uuid.uuid5(SOURCE_GUID, f"c{n}")}" creatingUser="{USERS[coder][0]}">'
            f'<CodeRef targetGUID="{CODES[code]}"/></Coding></PlainTextSelection>'
        )
    users = "".join(f'<User guid="{guid}" name="{name}"/>' for guid, name in USERS.values())
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="Réseau partenaire" origin="NVivo 14 (Windows)">'
        f"<Users>{users}</Users>"
        "<CodeBook><Codes>"
        f'<Code guid="{CODES["family"]}" name="Terrain partenaire" isCodable="false" color="#7A4FB0">'
        f'<Code guid="{CODES["translation"]}" name="Traduction outillée" isCodable="true" color="#2F6FB0">'
        "<Description>Traduire des supports avec un outil d'IA.</Description></Code>"
        f'<Code guid="{CODES["worry"]}" name="Inquiétudes des salarié·es" isCodable="true" color="#B0472F"/>'
        "</Code></Codes></CodeBook>"
        f'<Sources><TextSource guid="{SOURCE_GUID}" name="Atelier du réseau partenaire" '
        f'plainTextPath="internal://{SOURCE_GUID}.txt">{"".join(selections)}</TextSource></Sources>'
        "</Project>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Project.qde", qde.encode("utf-8"))
        archive.writestr(f"Sources/{SOURCE_GUID}.txt", b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    return buffer.getvalue()


def build(study: StudyPage, user) -> Document:
    """Import the demo project into `study` once, as `user` (a coordinator); return its document."""
    found = Document.objects.filter(study=study, uuid=SOURCE_GUID).first()
    if found is None:
        import_file(study, io.BytesIO(sample_qdpx()), filename="reseau-partenaire.qdpx", user=user)
        found = Document.objects.get(study=study, uuid=SOURCE_GUID)
    return found
