"""Demo data for commons: the « BEC IA générative & ESS » bureau, its colleges, members and an invitation.

Idempotent: running it again finds what exists and creates only what is missing, so
`make demo` can be run any number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import MemberProfile

from .models import BureauPage, College, Invitation, Membership, Role

DEMO_PASSWORD = "demo-bec-2026"
#: How long ago the demo's people joined: before every dated event of the demo (votes, protocol, interviews).
DAYS_A_MEMBER = 180
BUREAU_SLUG = "bec-ia-generative-ess"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    category: str
    organisation: str
    role: str
    college: str | None


COLLEGES = [
    ("Chercheur·es", 30, "Universitaires et chercheur·es indépendant·es"),
    ("Structures de l'ESS", 40, "Associations, SCOP, SCIC, tiers-lieux observés ou partenaires"),
    ("Bénévoles & makers", 30, "Bénévoles, artistes, makers et habitant·es"),
]

PEOPLE = [
    DemoPerson(
        "camille.martin@bec-demo.fr",
        "Camille Martin",
        "researcher",
        "Université Lyon 2",
        Role.COORDINATOR,
        "Chercheur·es",
    ),
    DemoPerson(
        "karim.benali@bec-demo.fr",
        "Karim Benali",
        "social_entrepreneur",
        "SCOP Les Ateliers du Rhône",
        Role.COORDINATOR,
        "Structures de l'ESS",
    ),
    DemoPerson(
        "lea.dubois@bec-demo.fr",
        "Léa Dubois",
        "researcher",
        "Laboratoire Triangle",
        Role.MEMBER,
        "Chercheur·es",
    ),
    DemoPerson(
        "aminata.diallo@bec-demo.fr",
        "Aminata Diallo",
        "social_entrepreneur",
        "SCIC Tiers-lieu La Friche",
        Role.MEMBER,
        "Structures de l'ESS",
    ),
    DemoPerson(
        "hugo.lefebvre@bec-demo.fr",
        "Hugo Lefebvre",
        "maker",
        "Fablab La Croix-Rousse",
        Role.MEMBER,
        "Bénévoles & makers",
    ),
    DemoPerson(
        "ines.moreau@bec-demo.fr",
        "Inès Moreau",
        "artist",
        "Collectif Les Voix Libres",
        Role.MEMBER,
        "Bénévoles & makers",
    ),
    DemoPerson(
        "thomas.girard@bec-demo.fr",
        "Thomas Girard",
        "volunteer",
        "Association Lyon Numérique Solidaire",
        Role.OBSERVER,
        None,
    ),
    DemoPerson(
        "sophie.nguyen@bec-demo.fr",
        "Sophie Nguyen",
        "partner",
        "Métropole de Lyon — ESS",
        Role.OBSERVER,
        None,
    ),
]

CHARTER = """Le **Bureau d'Études en Communs « IA générative & ESS »** réunit des chercheur·es, des structures de l'économie sociale et solidaire, des bénévoles et des makers pour étudier ensemble une question qui les concerne toutes et tous.

## Nos engagements

1. **Ouverture** : le protocole, les décisions et les résultats sont publics.
2. **Consentement** : aucune observation sans le consentement des personnes et des collectifs observés ; un retrait prend effet immédiatement.
3. **Pseudonymisation** : hors de l'équipe, chaque collectif est désigné par un code (`C-07`).
4. **Décision partagée** : les changements de protocole et les publications sont votés.

## Ce que nous produisons

| Livrable | Licence |
|---|---|
| Protocole d'étude | CC BY-SA 4.0 |
| Rapport public | CC BY 4.0 |
| Code de l'outil | AGPL-3.0 |

Plus d'informations : https://www.ess-france.org """

GOVERNANCE = """Les décisions se prennent **par collèges**, à la manière d'une SCIC : chaque collège pèse selon son poids, quel que soit le nombre de ses membres.

- Les *coordinateur·rices* et les *membres* votent ; les *observateur·rices* suivent les travaux.
- Modifications du protocole : majorité qualifiée des deux tiers, pondérée par collège (quorum : la moitié).
- Publication d'un rapport : par consentement, aucune objection argumentée (quorum : un tiers).
- Grille de codage, adhésions et questions libres : majorité simple pondérée par collège (quorum : la moitié).
- Choix entre plusieurs options : jugement majoritaire (quorum : un tiers).
- Changer ces règles est une décision du bureau, à la majorité des deux tiers.

Le tableau « type de proposition → règle » ci-dessus est celui qu'appliquent les votes.
"""


def ensure_bureau(home) -> BureauPage:
    """The demo bureau under the home page, with its three colleges."""
    bureau = BureauPage.objects.filter(slug=BUREAU_SLUG).first()
    if bureau is None:
        bureau = BureauPage(
            title="BEC IA générative & ESS",
            slug=BUREAU_SLUG,
            question=(
                "Comment les collectifs de l'économie sociale et solidaire utilisent-ils l'IA générative "
                "dans leur travail, et qu'est-ce que cela change à leur fonctionnement et à leurs valeurs ?"
            ),
            charter=CHARTER,
            governance=GOVERNANCE,
        )
        for order, (name, weight, description) in enumerate(COLLEGES):
            bureau.colleges.add(College(name=name, weight=weight, description=description, sort_order=order))
        home.add_child(instance=bureau)
        bureau.save_revision().publish()
    return bureau


def ensure_person(person: DemoPerson, *, superuser: bool = False):
    User = get_user_model()
    user = User.objects.filter(email__iexact=person.email).first()
    if user is None:
        user = User(
            username=person.email.split("@")[0],
            email=person.email,
            first_name=person.name.split(" ")[0],
            last_name=" ".join(person.name.split(" ")[1:]),
            is_staff=superuser,
            is_superuser=superuser,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=person.email, defaults={"verified": True, "primary": True}
    )
    MemberProfile.objects.get_or_create(
        user=user,
        defaults={
            "display_name": person.name,
            "category": person.category,
            "organisation": person.organisation,
        },
    )
    return user


@transaction.atomic
def build(home) -> dict:
    """Create the demo bureau and its people; return what `bec_demo` prints."""
    bureau = ensure_bureau(home)
    colleges = {college.name: college for college in bureau.colleges.all()}
    accounts = []
    # Everyone joined long before the demo's first vote (« Membre depuis » precedes their ballots).
    joined = timezone.now() - timedelta(days=DAYS_A_MEMBER)
    for person in PEOPLE:
        user = ensure_person(person)
        Membership.objects.filter(user=user, bureau=bureau, joined_at__gt=joined).update(joined_at=joined)
        if not Membership.objects.active().filter(user=user, bureau=bureau).exists():
            Membership.objects.create(
                user=user,
                bureau=bureau,
                role=person.role,
                college=colleges.get(person.college) if person.college else None,
                joined_at=joined,
            )
        accounts.append((person.email, DEMO_PASSWORD, str(Role(person.role).label), person.name))
    admin = ensure_person(
        DemoPerson("admin@bec-demo.fr", "Admin Plateforme", "partner", "wagtail-bec", Role.OBSERVER, None),
        superuser=True,
    )
    accounts.append((admin.email, DEMO_PASSWORD, str(_("platform administrator")), "Admin Plateforme"))
    if not Invitation.objects.filter(bureau=bureau, email="julie.roux@bec-demo.fr").exists():
        Invitation.issue(
            email="julie.roux@bec-demo.fr",
            bureau=bureau,
            role=Role.MEMBER,
            college=colleges["Bénévoles & makers"],
            invited_by=bureau.memberships.first().user,
        )
    return {"bureau": bureau, "accounts": accounts}
