"""Chain format 2: no personal data in what a decision's hash covers (issue 16, « leave »).

Format 1 hashed, for a vote a coordinator closed early, that coordinator's display name
(`early_close.by`): erasing them would have broken the register. This migration

1. verifies every bureau's format-1 chain and stops (changing nothing) if one does not check out:
   re-hashing a tampered register would launder it;
2. removes `by` from `early_close` (who closed stays on the proposal, `closed_early_by`), re-hashes
   each chain in format 2 in order, and keeps each old hash in `legacy_hash` (not for decisions
   whose old payload held a name);
3. records the change in each bureau's register (`ChainFormatChange`: when, how many decisions, old
   and new head), shown on the register and its « verify » page.

The format-1 payload is frozen here on purpose: `commons.actions` only knows the current format.
"""

import hashlib
import json
from datetime import UTC

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def _digest(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _fields(decision) -> dict:
    return {
        "bureau": decision.bureau_id,
        "sequence": decision.sequence,
        "proposal": decision.proposal_id,
        "title": decision.title,
        "kind": decision.kind,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "rule": decision.rule,
        "counts": decision.counts,
        "score": decision.score,
        "ranking": decision.ranking,
        "electorate_size": decision.electorate_size,
        "ballots_cast": decision.ballots_cast,
        "closed_at": decision.closed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "previous_hash": decision.previous_hash,
    }


def format_1_hash(decision) -> str:
    payload = _fields(decision)
    if decision.early_close:
        payload["early_close"] = decision.early_close
    return _digest(payload)


def format_2_hash(decision) -> str:
    """Must equal `commons.actions.hash_decision` (a test checks it on a new decision)."""
    payload = _fields(decision) | {"format": 2}
    if decision.early_close:
        payload["early_close"] = decision.early_close
    return _digest(payload)


class BrokenRegister(Exception):
    pass


def rechain(apps, schema_editor) -> None:
    """Verify every format-1 chain, then re-hash it in format 2 and note the change in the register."""
    Decision = apps.get_model("commons", "Decision")
    ChainFormatChange = apps.get_model("commons", "ChainFormatChange")
    manager = Decision._base_manager  # a plain manager: the model's own refuses updates
    bureaus = manager.values_list("bureau_id", flat=True).distinct().order_by("bureau_id")
    chains = {bureau: list(manager.filter(bureau_id=bureau).order_by("sequence")) for bureau in bureaus}
    for bureau, decisions in chains.items():
        previous = ""
        for expected, decision in enumerate(decisions, start=1):
            if (
                decision.sequence != expected
                or decision.previous_hash != previous
                or format_1_hash(decision) != decision.hash
            ):
                raise BrokenRegister(
                    f"The register of bureau {bureau} does not verify at decision no. {decision.sequence}: "
                    "restore it from a backup (manage.py verify_decisions) before migrating; nothing changed."
                )
            previous = decision.hash
    for bureau, decisions in chains.items():
        if not decisions:
            continue
        old_head = decisions[-1].hash
        previous = ""
        for decision in decisions:
            named = "by" in (decision.early_close or {})
            legacy = "" if named else decision.hash
            decision.early_close = {k: v for k, v in (decision.early_close or {}).items() if k != "by"}
            decision.previous_hash = previous
            decision.hash = format_2_hash(decision)
            manager.filter(pk=decision.pk).update(
                early_close=decision.early_close,
                previous_hash=decision.previous_hash,
                hash=decision.hash,
                legacy_hash=legacy,
            )
            previous = decision.hash
        ChainFormatChange.objects.create(
            bureau_id=bureau, format=2, decisions=len(decisions), previous_head=old_head, new_head=previous
        )


class Migration(migrations.Migration):

    dependencies = [
        ('commons', '0009_registration_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='decision',
            name='legacy_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.CreateModel(
            name='ChainFormatChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('format', models.PositiveSmallIntegerField()),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('decisions', models.PositiveIntegerField()),
                ('previous_head', models.CharField(max_length=64)),
                ('new_head', models.CharField(max_length=64)),
                ('bureau', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='chain_changes', to='commons.bureaupage')),
            ],
            options={
                'verbose_name': "change of the register's format",
                'verbose_name_plural': "changes of the register's format",
                'ordering': ['bureau', 'changed_at'],
            },
        ),
        migrations.RunPython(rechain, elidable=False),
    ]
