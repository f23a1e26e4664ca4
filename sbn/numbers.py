"""Exact numbers: the arithmetic context, money in whole cents, and numbers as people read them.

Every amount sbn reads is a ``Decimal`` exactly as written; every amount of money it compares or
prints is a whole number of cents. This module is the one place that turns one into the other.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
# Numbers have at most 12 digits before the point and 30 after (sbn.model). sbn multiplies two of
# them (per_unit × quantity: at most 84 digits) and adds a few such products up; at this precision
# every such result is exact, where Decimal's default of 28 digits rounds
# (2.0000000000000000000000000000001 would ceil to 2).
PRECISION = 120


@contextmanager
def exact() -> Iterator[None]:
    """Decimal arithmetic at sbn's precision for the code inside (entry points wrap their work in it).

    The context is the calling thread's; other threads that compute with amounts enter it too.
    """
    with decimal.localcontext() as context:
        context.prec = PRECISION
        yield


def round_cent(amount: Decimal) -> Decimal:
    """An amount of money rounded half-up to the cent, as SPEC §1 prices a module."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> int:
    """An amount already rounded to the cent, as whole cents."""
    return int(amount.scaleb(2))


def budget_cents(budget: Decimal) -> int:
    """A budget as it is compared: whole cents, rounded down (a budget of 12.345 allows 12.34)."""
    return int(budget.scaleb(2).to_integral_value(rounding=ROUND_FLOOR))


def money(amount_cents: int, currency: str | None = None) -> str:
    """1234567 cents as '12,345.67' (with the currency when given)."""
    sign = "-" if amount_cents < 0 else ""
    whole, rest = divmod(abs(amount_cents), 100)
    text = f"{sign}{whole:,}.{rest:02d}"
    return f"{text} {currency}" if currency else text


def signed_money(amount_cents: int, currency: str | None = None) -> str:
    """A difference of money with its sign: '+12.00', '-3.50'."""
    return ("+" if amount_cents >= 0 else "-") + money(abs(amount_cents), currency)


def number(value: Decimal) -> str:
    """A decimal without trailing zeros: 40, 2.5, 0.05."""
    return format(value.normalize(), "f")


def decimal_exponent(value: Decimal) -> int:
    """The exponent of a decimal's last significant digit: -2 for 0.25, 0 for 40, 2 for 500."""
    exponent = value.normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0
