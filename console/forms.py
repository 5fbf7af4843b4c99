"""A form per command, built from the command's own parameter serializer (dispatch.commands).

The form's fields are derived from the serializer's, so the two cannot drift: a number field for a
number, a choice for a vendor code, a yes/no for a flag. What the form cleans is the same `params` object
the API takes, and it is validated by `dispatch.kinds.validate_command` exactly as the API validates
it; a rule broken is shown at the field it names (`params.<field>`).
"""

from __future__ import annotations

from django import forms
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DRFValidationError

from dispatch import commands, kinds
from dispatch.models import DispatchJob
from fleets.models import Fleet
from vendors import registry
from vpp.errors import _flatten

# Raw setters: which parameter names a variant, and the variants (dispatch.commands.RAW_SETTERS, from the
# vendors' rule tables).
VARIANTS: dict[str, tuple[str, dict]] = {
    kind: (selector, variants) for kind, (selector, _section, variants) in commands.RAW_SETTERS.items()
}


def _setter_brand(kind: str) -> str:
    """The brand of the vendor that can send this kind (the raw setters are one vendor's own)."""
    brands = [spec.brand for spec in registry.specs() if spec.supports(kind)]
    return " / ".join(brands) or "Raw"


# Each kind's label (its declaration, dispatch.kinds); a raw setter's after the brand that sends it.
LABELS = {
    kind: spec.label if spec.params is not None else f"{_setter_brand(kind)} {spec.label}"
    for kind, spec in kinds.KINDS.items()
}
BOOLEAN_CHOICES = [("", "---------"), ("true", "yes / on"), ("false", "no / off")]


def command_kinds() -> list[tuple[str, str]]:
    return [(k.value, LABELS.get(k, k.value)) for k in kinds.KINDS]


def _form_field(name: str, field: serializers.Field) -> forms.Field:
    """The Django form field for one serializer field. Every value stays optional in the form: which are
    required (and when, e.g. target_soc_pct only for control=soc) is the serializer's to say."""
    common = {"required": False, "label": name.replace("_", " "), "help_text": _hint(field)}
    if isinstance(field, serializers.ChoiceField):
        return forms.ChoiceField(choices=[("", "---------"), *[(c, c) for c in field.choices]], **common)
    if isinstance(field, serializers.BooleanField):
        return forms.TypedChoiceField(choices=BOOLEAN_CHOICES, coerce=lambda v: v == "true", **common)
    if isinstance(field, serializers.IntegerField):
        return forms.IntegerField(min_value=None, **common)
    if isinstance(field, serializers.FloatField):
        return forms.FloatField(**common)
    return forms.CharField(max_length=getattr(field, "max_length", None) or 200, **common)


def _hint(field: serializers.Field) -> str:
    """What the serializer will check, so the form says it up front: required, and the documented range."""
    hints = ["required"] if field.required else []
    low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
    if low is not None and high is not None and high < commands.INT32_MAX:
        hints.append(f"{low:g} to {high:g}")
    elif low is not None:
        hints.append(f"at least {low:g}")
    return ", ".join(hints)


def params_fields(kind: str, variant: str | None = None) -> dict[str, serializers.Field]:
    """The parameters of a command kind (of one variant for the raw setters)."""
    if kind in VARIANTS:
        _, variants = VARIANTS[kind]
        return dict(variants[variant]().fields) if variant in variants else {}
    return dict(kinds.KINDS[kind].params().fields)


class CommandForm(forms.Form):
    """Targets, timing and the command's parameters. Build with `CommandForm(kind, organization, ...)`."""

    fleet = forms.ModelChoiceField(queryset=Fleet.objects.none(), required=False)
    start_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional; in your time zone",
    )
    deadline = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional: tasks not done by then time out",
    )
    on_conflict = forms.ChoiceField(
        choices=DispatchJob.OnConflict.choices, initial=DispatchJob.OnConflict.REJECT
    )
    # A double-submitted form creates one job: the key is drawn when the form is first shown.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, kind: str, organization, variant: str | None = None, plant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.variant = variant
        self.plant = plant
        self.param_names = []
        if plant is not None:
            del self.fields["fleet"]
        else:
            self.fields["fleet"].queryset = Fleet.objects.filter(organization=organization).order_by("name")
            self.fields["fleet"].required = True
        if kind in VARIANTS:
            selector, variants = VARIANTS[kind]
            self.fields[selector] = forms.ChoiceField(
                choices=[(v, v) for v in variants], initial=variant, widget=forms.HiddenInput
            )
        for name, field in params_fields(kind, variant).items():
            self.fields[f"p_{name}"] = _form_field(name, field)
            self.param_names.append(name)

    def params(self) -> dict:
        data = self.cleaned_data
        params = {
            name: data[f"p_{name}"] for name in self.param_names if data.get(f"p_{name}") not in (None, "")
        }
        if self.kind in VARIANTS:
            selector, _ = VARIANTS[self.kind]
            params = {selector: data.get(selector), **params}
        return params

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["params"], data["command_obj"] = kinds.validate_command(self.kind, self.params())
        except DRFValidationError as exc:
            for name, errors in _flatten(exc.get_full_details()).items():
                where = name.removeprefix("params").lstrip(".")
                field = f"p_{where}" if where in self.param_names else None
                for error in errors:
                    message = error["message"] if field else f"{where or 'params'}: {error['message']}"
                    self.add_error(field, message)
        if data.get("start_at") and data.get("deadline") and data["deadline"] <= data["start_at"]:
            self.add_error("deadline", "Must be after the start.")
        return data
