"""Raw setters as data: a vendor's settable parameters, their values and the rules over them.

A vendor package that lets raw settings through declares a table of these (its spec's `setters` names
the module, vendors.registry.setters() collects them). The API validates a dispatch's params by the table
(dispatch.commands) and the vendor's adapter checks what it sends by the same table. No Django here.

`rule` names a check over several values of a variant:
- "window": a daily window; 24 only as 24:00; the end not before the start;
- "open_voltage": the second value within `ratio` times the first;
- "power_factor": the magnitude at least `min_abs`;
- "register": the first value one of `registers` (address -> low, high, what), the second in its range;
  the `switch` register takes only its listed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from vendors.base import CommandKind


@dataclass(frozen=True)
class Value:
    """One value of a variant. `name` is its key in a dispatch's params; `label` names it in a refusal;
    `unit` is what the API's range message adds before the section ("V", "% of rated power")."""

    name: str
    kind: Literal["code", "int", "number", "datetime"]
    label: str = "value"
    low: float | None = None
    high: float | None = None
    codes: tuple[str, ...] = ()
    fmt: str = ""  # datetime: the strptime format
    shown: str = ""  # datetime: the format as the document shows it
    places: int | None = None  # number: at most this many decimal places
    unit: str = ""


@dataclass(frozen=True)
class Variant:
    name: str
    values: tuple[Value, ...]
    rule: Literal["window", "open_voltage", "power_factor", "register"] | None = None
    ratio: tuple[float, float] | None = None  # open_voltage: second / first value
    min_abs: float | None = None  # power_factor: the least magnitude
    registers: Mapping[int, tuple[int, int, str]] | None = None  # register: address -> (low, high, what)
    switch: tuple[int, tuple[int, ...]] | None = None  # register: (address, the only values it takes)

    @property
    def needed(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Setter:
    kind: CommandKind
    selector: str  # the key naming the variant in a dispatch's params
    section: str
    slots: int  # positional values the vendor takes
    variants: Mapping[str, Variant]
