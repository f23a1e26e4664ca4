"""The network as declared: frozen pydantic models of partners, modules and requests (SPEC §1).

Numbers are ``Decimal`` parsed from the text as written, so money and durations are exact:
``0.05 × 40`` is ``2``, never ``2.0000000000000004``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from sbn.numbers import round_cent
from sbn.text import quote

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NON_FINITE = frozenset({".inf", "+.inf", "-.inf", ".nan", "inf", "+inf", "-inf", "nan", "infinity", "-infinity"})
# Bigger numbers are refused, so a lead time like 1e999999999 cannot turn into a billion-digit integer.
MAX_NUMBER = Decimal("1e12")
# Finer numbers are refused, so 1e-999999999 cannot either. Numbers thus have at most 12 + 30 digits,
# and sbn.numbers.PRECISION keeps every product and sum of them exact.
MAX_DECIMALS = 30
CRITERIA = ("cost", "time", "partners", "reputation", "preferred")


# Decimal also takes "_1", "1__0" and digits of other scripts ("١٢"); numbers here are ASCII, with
# "_" only between digits.
_SEPARATED = re.compile(r"[-+]?(?:[0-9]+(?:_[0-9]+)*)?(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?(?:[eE][-+]?[0-9]+)?")
# A number whose exponent is beyond what Decimal holds (1e-999...9): its size is told by the exponent.
_EXPONENT = re.compile(r"([^eE]*)[eE]([-+]?)[0-9]+")


def _not_a_number(text: str) -> PydanticCustomError:
    return PydanticCustomError("sbn_number", "expected a number, got {value}", {"value": quote(text)})


def parse_number(value: Any) -> Decimal:
    """A finite number from YAML text (or a Python number), exactly as written."""
    if type(value) is str:
        return _parse_text(value)
    return _parse_value(value)


@lru_cache(maxsize=8192)
def _parse_text(value: str) -> Decimal:
    """A number written as text; networks repeat the same few amounts, each parsed once (a Decimal is immutable)."""
    if (not value.isascii() or "_" in value) and not _SEPARATED.fullmatch(value.strip()):
        raise _not_a_number(value.strip())
    try:
        number = Decimal(value)
    except InvalidOperation:
        text = value.strip()
        if text.lower() in _NON_FINITE:
            raise PydanticCustomError(
                "sbn_finite", "numbers must be finite, got {value}", {"value": quote(text, bare=True)}
            ) from None
        exponent = _EXPONENT.fullmatch(text) if _SEPARATED.fullmatch(text) else None
        if exponent is None or not any(digit.isdigit() for digit in exponent.group(1)):
            raise _not_a_number(text) from None
        if not any(digit in "123456789" for digit in exponent.group(1)):
            return Decimal(0)
        if exponent.group(2) == "-":
            message = "numbers may have at most 30 decimal places, got {value}"
            raise PydanticCustomError("sbn_too_fine", message, {"value": quote(text, bare=True)}) from None
        message = "numbers must be at most 1e12 in size, got {value}"
        raise PydanticCustomError("sbn_too_large", message, {"value": quote(text, bare=True)}) from None
    if number.is_finite() and number.adjusted() < 12 and len(value) <= MAX_DECIMALS and "e" not in value.lower():
        return number  # the common case, checked cheaply
    return _bounded(number, value.strip())


def _parse_value(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise PydanticCustomError("sbn_number", "expected a number, got {value}", {"value": value})
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "nothing"
        raise PydanticCustomError("sbn_number", "expected a number, got {kind}", {"kind": kind})
    return _bounded(number, value)


def _bounded(number: Decimal, value: Any) -> Decimal:
    written = quote(value, bare=True)
    if not number.is_finite():
        raise PydanticCustomError("sbn_finite", "numbers must be finite, got {value}", {"value": written})
    if number.copy_abs() > MAX_NUMBER:  # copy_abs needs no context, so 1e999999999 cannot overflow
        message = "numbers must be at most 1e12 in size, got {value}"
        raise PydanticCustomError("sbn_too_large", message, {"value": written})
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= -MAX_DECIMALS:
        return number
    # Trailing zeros past the limit are only writing (1.000…0): drop them, without a context.
    kept = len(digits)
    while kept > 1 and digits[kept - 1] == 0 and exponent < -MAX_DECIMALS:
        kept -= 1
        exponent += 1
    if not any(digits):
        return Decimal(0)
    if exponent < -MAX_DECIMALS:
        message = "numbers may have at most 30 decimal places, got {value}"
        raise PydanticCustomError("sbn_too_fine", message, {"value": written})
    return Decimal((sign, digits[:kept], exponent))


def _deadline(value: Any) -> Decimal | date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("sbn_date", "invalid date {value}", {"value": quote(value.strip())}) from None
    try:
        number = parse_number(value)
    except PydanticCustomError as error:
        if error.type != "sbn_number" or not isinstance(value, str):
            raise
        message = "must be a number or a date like 2027-03-01, got {value}"
        raise PydanticCustomError("sbn_deadline", message, {"value": quote(value.strip())}) from None
    if number < 0:
        raise PydanticCustomError("sbn_negative", "must be at least 0, got {value}", {"value": quote(value, bare=True)})
    return number


def _start(value: Any) -> Any:
    """A calendar date only: never a number read as a timestamp, never a date with a time.

    The value is echoed, quoted (sbn.text): a date that does not exist, or text that is no date.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("sbn_date", "invalid date {value}", {"value": quote(value.strip())}) from None
    if isinstance(value, str):
        given = quote(value.strip())
    else:
        given = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else quote(value)
    raise PydanticCustomError("sbn_start", "must be a date like 2027-03-01, got {value}", {"value": given})


def _whole(value: Any) -> Any:
    """A whole number however it is written: 10, 1e1 and 10.0 are all ten."""
    if isinstance(value, bool):
        return value
    number = parse_number(value)
    if number != number.to_integral_value():
        raise PydanticCustomError("sbn_whole", "must be a whole number", {})
    return int(number)


def _linear(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    number = parse_number(value)
    if number < 0:
        raise PydanticCustomError("sbn_negative", "must be at least 0, got {value}", {"value": quote(value, bare=True)})
    return {"fixed": number}


def _mapping(value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, list):
        raise PydanticCustomError("sbn_mapping", "expected a mapping of resource id to amount, got a list", {})
    return value


def _list(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        raise PydanticCustomError(
            "sbn_list",
            "expected a list, got the string {quoted}: write [{value}]",
            {"value": quote(value, bare=True), "quoted": quote(value)},
        )
    return value


_NUMBER_SCHEMA = {"type": "number"}
Number = Annotated[Decimal, BeforeValidator(parse_number), WithJsonSchema(_NUMBER_SCHEMA)]
NonNegative = Annotated[
    Decimal, Field(ge=0), BeforeValidator(parse_number), WithJsonSchema({"type": "number", "minimum": 0})
]
Fraction01 = Annotated[
    Decimal,
    Field(ge=0, le=1),
    BeforeValidator(parse_number),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]
Positive = Annotated[
    Decimal, Field(gt=0), BeforeValidator(parse_number), WithJsonSchema({"type": "number", "exclusiveMinimum": 0})
]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Strings = Annotated[tuple[str, ...], BeforeValidator(_list)]
Ids = Annotated[tuple[Id, ...], BeforeValidator(_list)]
Criterion = Literal["cost", "time", "partners", "reputation", "preferred"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False, hide_input_in_errors=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        """`name:`, `name: ~` and `name: null` leave a field out, so its default applies."""
        if isinstance(data, dict) and None in data.values():
            fields = cls.model_fields
            return {
                key: value
                for key, value in data.items()
                # An unknown field stays, so that it is reported; a required one, so that it is named.
                if value is not None or key not in fields or fields[key].is_required()
            }
        return data


class Linear(_Frozen):
    """A quantity-dependent amount: fixed + per_unit × quantity."""

    fixed: NonNegative = Field(Decimal(0), description="Amount independent of the quantity.")
    per_unit: NonNegative = Field(Decimal(0), description="Amount per unit of quantity.")

    def at(self, quantity: Decimal) -> Decimal:
        return self.fixed + self.per_unit * quantity


LinearField = Annotated[
    Linear,
    BeforeValidator(_linear),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "number", "minimum": 0},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "fixed": {"type": "number", "minimum": 0, "description": "Amount independent of the quantity."},
                        "per_unit": {"type": "number", "minimum": 0, "description": "Amount per unit of quantity."},
                    },
                },
            ]
        }
    ),
]


class NetworkInfo(_Frozen):
    """What the network is and why its partners work together."""

    name: str | None = Field(None, description="Name of the network, shown with every plan.")
    ambition: str | None = Field(None, description="The shared ambition that brings the partners together.")
    currency: str = Field("EUR", description="Currency of every cost and budget.")
    time_unit: str = Field("day", description="Unit of lead times and deadlines; dates need 'day'.")


class Interests(_Frozen):
    """What a partner needs from any plan it takes part in."""

    min_order_value: NonNegative | None = Field(
        None, description="The partner takes no assignment whose cost is below this."
    )
    avoid: Ids = Field((), description="Partner ids this partner is never in the same request's plan with.")


class Partner(_Frozen):
    """An organisation in the network."""

    id: Id = Field(description="Unique partner id.")
    name: str | None = Field(None, description="Display name.")
    region: str | None = Field(None, description="Home region; the default region of its modules.")
    certifications: Strings = Field((), description="Certifications held by every module of the partner.")
    reputation: Fraction01 = Field(Decimal("0.5"), description="Reputation from 0 to 1.")
    capacity: NonNegative | None = Field(
        None,
        description="Work units per planning run, shared by all its modules (see module usage); absent = unlimited.",
    )
    interests: Interests = Field(Interests(), description="What the partner needs from a plan.")


class Module(_Frozen):
    """A capability a partner offers, with its price, lead time, capacity and interfaces."""

    id: Id = Field(description="Unique module id.")
    partner: Id = Field(description="Id of the partner that owns the module.")
    capability: str = Field(description="What the module does, e.g. assembly or last-mile-delivery.")
    inputs: Strings = Field((), description="Interfaces it accepts from upstream steps; empty = accepts anything.")
    outputs: Strings = Field((), description="Interfaces it hands downstream.")
    cost: LinearField = Field(
        Linear(),
        description=(
            "Cost: a number, or {fixed, per_unit}; cost(q) = fixed + per_unit × q, rounded half-up to the cent."
        ),
    )
    lead_time: LinearField = Field(
        Linear(), description="Lead time: a number, or {fixed, per_unit}; duration(q) = ceil(fixed + per_unit × q)."
    )
    capacity: NonNegative | None = Field(
        None, description="Maximum quantity handled per planning run; absent = unlimited."
    )
    usage: NonNegative = Field(Decimal(1), description="Partner capacity used per unit of quantity.")
    regions: Strings | None = Field(
        None, description='Customer regions served; default [partner.region]; "*" means everywhere.'
    )
    certifications: Strings = Field((), description="Certifications held in addition to the partner's.")
    uses: Annotated[dict[str, LinearField], BeforeValidator(_mapping)] = Field(
        default_factory=dict,
        description=(
            "Resources it uses: resource id -> a number, or {fixed, per_unit}; amount(q) = fixed + per_unit × q. "
            "An at-once resource is held from start to finish, an in-total one consumed."
        ),
    )

    def cost_at(self, quantity: Decimal) -> Decimal:
        """cost(q), rounded half-up to the cent."""
        return round_cent(self.cost.at(quantity))

    def duration_at(self, quantity: Decimal) -> int:
        """duration(q) in whole time units, rounded up exactly."""
        return int(self.lead_time.at(quantity).to_integral_value(rounding=ROUND_CEILING))


class Resource(_Frozen):
    """A capacity pool that modules use: at once (held while a step runs) or in total (consumed over the run)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["at_once"]}, {"required": ["total"]}]})

    id: Id = Field(description="Unique resource id.")
    name: str | None = Field(None, description="Display name.")
    partner: Id | None = Field(None, description="The partner that owns it, shown by who and explanations.")
    at_once: NonNegative | None = Field(
        None, description="Amount that steps may hold at any one time (a crew, a crane, a dock)."
    )
    total: NonNegative | None = Field(None, description="Amount that steps may consume over the run (stock, permits).")

    @model_validator(mode="after")
    def _one_kind(self) -> Resource:
        if (self.at_once is None) == (self.total is None):
            raise PydanticCustomError("sbn_resource_kind", "a resource has exactly one of 'at_once' or 'total'", {})
        return self

    @property
    def capacity(self) -> Decimal:
        """Its at_once or its total, whichever it has."""
        found = self.at_once if self.at_once is not None else self.total
        assert found is not None
        return found


def _id_optional(schema: dict[str, Any]) -> None:
    """In files a step's id may be left out (it defaults to the capability)."""
    schema["required"] = [name for name in schema.get("required", []) if name != "id"]


class Step(_Frozen):
    """One piece of work in a request, done by exactly one module."""

    model_config = ConfigDict(json_schema_extra=_id_optional)

    id: Id = Field(description="Step id, unique within the request; default: its capability.")
    capability: str = Field(description="Capability the step needs.")
    after: Ids = Field((), description="Ids of steps that must finish before this one starts.")
    quantity: Positive | None = Field(None, description="Quantity of this step; overrides the request's.")
    certifications: Strings = Field((), description="Certifications required in addition to the request's.")
    partner: Id | None = Field(None, description="Pin: only this partner may do the step.")

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("id") is None and isinstance(data.get("capability"), str):
            capability = data["capability"]
            if not re.fullmatch(ID_PATTERN.strip("^$"), capability):
                raise PydanticCustomError(
                    "sbn_step_id",
                    "a step without an id takes its capability as id, but {capability} is not a valid id: add an id",
                    {"capability": quote(capability)},
                )
            return {**data, "id": capability}
        if isinstance(data, dict) and data.get("id") is None:
            # Without a usable capability the step has no id either; only the capability is reported.
            return {**data, "id": "step"}
        return data


class Request(_Frozen):
    """A customer request: steps to be done by the network, with its limits and criteria."""

    id: Id = Field(description="Unique request id.")
    customer: str | None = Field(None, description="Who asks.")
    region: str | None = Field(None, description="Customer region; absent = no region filter.")
    quantity: Positive = Field(Decimal(1), description="Quantity of every step unless the step overrides it.")
    start: Annotated[date, BeforeValidator(_start)] | None = Field(
        None, description="Calendar date of time 0; plans then show dates beside offsets."
    )
    deadline: (
        Annotated[
            Decimal | date,
            BeforeValidator(_deadline),
            WithJsonSchema({"oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "format": "date"}]}),
        ]
        | None
    ) = Field(None, description="Latest finish, in time units from start 0, or a date when start is given.")
    budget: NonNegative | None = Field(None, description="Total cost must not exceed it.")
    certifications: Strings = Field((), description="Certifications every module used must hold.")
    min_reputation: Fraction01 | None = Field(None, description="Only partners with at least this reputation.")
    steps: tuple[Step, ...] = Field(min_length=1, description="The work, in order; after must form no cycle.")
    exclude: Ids = Field((), description="Partner ids never used.")
    prefer: Ids = Field((), description="Partner ids counted by the preferred criterion.")
    max_partners: Annotated[int, Field(ge=1), BeforeValidator(_whole)] | None = Field(
        None, description="At most this many distinct partners in the plan."
    )
    optimize: Annotated[tuple[Criterion, ...], BeforeValidator(_list)] = Field(
        ("cost", "time"), description="Criteria in lexicographic order: cost, time, partners, reputation, preferred."
    )
    priority: Annotated[int, BeforeValidator(_whole)] = Field(0, description="Higher is planned first.")

    @property
    def deadline_offset(self) -> int | None:
        """The deadline in whole time units from time 0."""
        if self.deadline is None:
            return None
        if isinstance(self.deadline, date):
            assert self.start is not None
            return (self.deadline - self.start).days
        return int(self.deadline.to_integral_value(rounding="ROUND_FLOOR"))


class Document(_Frozen):
    """One input file: any mix of the top-level keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        title="sbn input file",
        json_schema_extra={"description": "An sbn input file: network, include, partners, modules and requests."},
    )

    network: NetworkInfo | None = Field(None, description="The network: at most one across all files.")
    include: Strings = Field(
        (),
        description="Paths relative to this file, inside the project; a directory means every *.yaml/*.yml below it.",
    )
    partners: tuple[Partner, ...] | None = Field(None, description="Partners of the network.")
    modules: tuple[Module, ...] | None = Field(None, description="Modules offered by the partners.")
    resources: tuple[Resource, ...] | None = Field(
        None, description="Capacity pools modules use, at once or in total (SPEC §6)."
    )
    requests: tuple[Request, ...] | None = Field(None, description="Customer requests to plan.")
