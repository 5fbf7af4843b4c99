"""Every command kind is declared once (dispatch.kinds), and what was kept in separate tables is derived
from that declaration: the codec's classes, conflicts, the stoppable kinds, the console labels, the vendors
that can send a kind (their own `capabilities`). The `command_kind` columns carry no choices, so
declaring a new kind needs no migration."""

from __future__ import annotations

import dataclasses
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from dispatch import kinds
from dispatch.campaigns.models import Campaign
from dispatch.commands import POWER_TARGET
from dispatch.engine import codec, stops
from dispatch.models import DispatchJob
from vendors import base, registry
from vendors.base import CommandKind


def test_each_kind_is_declared_once_in_the_enum_order():
    assert list(kinds.KINDS) == list(CommandKind)
    assert kinds.names() == [k.value for k in CommandKind]
    for kind, spec in kinds.KINDS.items():
        assert spec.kind is kind
        assert dataclasses.fields(spec.command)[-1].default == kind  # the dataclass carries its own kind
        assert (spec.params is None) == (spec.from_setter is not None)


def test_the_codec_rebuilds_the_class_of_every_declared_kind():
    assert set(codec._CLASSES.values()) == {spec.command for spec in kinds.KINDS.values()}
    command = base.StorageSet(param_type="ac_charge", params=("1", "2", "", ""))
    assert codec.command_from_json(codec.command_to_json(command)) == command


def test_conflicts_are_as_they_were_and_mutual():
    both = {CommandKind.CHARGE_DISCHARGE, CommandKind.STORAGE_SET}
    assert set(kinds.conflicting(CommandKind.CHARGE_DISCHARGE)) == both
    assert set(kinds.conflicting(CommandKind.STORAGE_SET)) == both
    for kind in set(CommandKind) - both:
        assert kinds.conflicting(kind) == (kind,)
    assert kinds.conflicting("not_a_kind") == ("not_a_kind",)


def test_only_charge_discharge_can_be_stopped():
    assert stops.STOPPABLE_KINDS == (CommandKind.CHARGE_DISCHARGE,)


def test_the_vendors_of_a_kind_come_from_each_vendors_capabilities():
    for kind, spec in kinds.KINDS.items():
        assert set(spec.vendors()) == {s.name for s in registry.specs() if kind in s.capabilities}
    with_setters = {s.name for s in registry.specs() if s.setters}
    assert set(kinds.KINDS[CommandKind.STORAGE_SET].vendors()) == with_setters
    assert set(kinds.KINDS[CommandKind.INVERTER_SET].vendors()) == with_setters
    assert len(kinds.KINDS[CommandKind.CHARGE_DISCHARGE].vendors()) == len(registry.specs())


def test_every_vendor_lists_the_kinds_it_can_send():
    """No spec claims a kind by complement ("every kind but ..."), so a new kind is claimed by none."""
    for spec in registry.specs():
        assert spec.capabilities <= set(CommandKind)
        assert spec.capabilities != frozenset(CommandKind)


def test_the_command_kind_columns_carry_no_choices():
    for field in (DispatchJob._meta.get_field("command_kind"), Campaign._meta.get_field("command_kind")):
        _, _, _, keywords = field.deconstruct()
        assert "choices" not in keywords
        assert keywords["validators"]


def test_the_columns_take_a_declared_kind_only():
    kinds.command_kind_check("dod")
    kinds.campaign_command_kind_check(POWER_TARGET)
    with pytest.raises(ValidationError):
        kinds.command_kind_check(POWER_TARGET)  # a job stores the charge/discharge it plans into
    with pytest.raises(ValidationError):
        kinds.campaign_command_kind_check("nope")


@pytest.mark.django_db
def test_a_new_kind_needs_no_migration(monkeypatch):
    """Declaring one more kind changes what the columns accept and the admin offers, not the models'
    migration state."""
    extra = kinds.CommandSpec(
        "new_kind", base.SetDod, "A new kind", params=kinds.KINDS[CommandKind.DOD].params
    )
    monkeypatch.setattr(kinds, "KINDS", {**kinds.KINDS, "new_kind": extra})

    kinds.command_kind_check("new_kind")
    assert ("new_kind", "new_kind") in kinds.choices()
    assert ("new_kind", "new_kind") in kinds.campaign_choices()
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # SystemExit(1) if one were needed
    assert "No changes detected" in out.getvalue()
