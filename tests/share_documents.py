"""Hand-made plan documents for the sharing formats, holding the fields SPEC §5–§8 add.

They are written as a reader would get them back from JSON (plain floats and ints), not through
the planner, so the renderers are tested on the document alone.
"""

from __future__ import annotations

import copy
from typing import Any

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"

_DOCUMENT: dict[str, Any] = {
    "schema": "sbn.plan/v1",
    "network": "gelre-heat",
    "currency": "EUR",
    "time_unit": "day",
    "ambition": "Warm homes without gas.\n\nTogether, by 2030.",
    "mode": "joint",
    "objective": [
        {"criterion": "planned", "priority": 1, "value": 1},
        {"criterion": "planned", "priority": 0, "value": 0},
        {"criterion": "cost", "value": 4007.5},
        {"criterion": "time", "value": 12},
    ],
    "resources": [
        {"id": "gelre-crews", "at_once": 4, "peak": 3},
        {"id": "heat-pumps-2027", "total": 120, "used": 40.5},
    ],
    "plans": [
        {
            "request": "retrofit-7",
            "customer": "Gelre wonen, Arnhem; block C",
            "status": "optimal",
            "cost": 4007.5,
            "finish": 12,
            "start_date": "2027-03-01",
            "finish_date": "2027-03-13",
            "budget": 5000.0,
            "deadline": 14,
            "partners": ["bouw", "gelre"],
            "changes": 2,
            "assignments": [
                {
                    "step": "survey",
                    "capability": "site-survey",
                    "module": "bouw-survey",
                    "partner": "bouw",
                    "quantity": 2.5,
                    "start": 0,
                    "finish": 3,
                    "start_date": "2027-03-01",
                    "finish_date": "2027-03-04",
                    "cost": 1000.0,
                    "handoffs": [],
                    "wait": 0,
                    "changed": False,
                    "previous": "bouw-survey",
                    "backup": {"module": "gelre-survey", "partner": "gelre", "cost_delta": -150.0, "finish_delta": 2},
                },
                {
                    "step": "approve",
                    "capability": "approval",
                    "module": "bouw-approve",
                    "partner": "bouw",
                    "quantity": 2.5,
                    "start": 3,
                    "finish": 3,
                    "start_date": "2027-03-04",
                    "finish_date": "2027-03-04",
                    "cost": 7.5,
                    "handoffs": [{"from": "survey", "interface": None}],
                    "wait": 0,
                    "changed": True,
                    "previous": None,
                    "backup": None,
                },
                {
                    "step": "install",
                    "capability": "heat-pump-installation",
                    "module": "gelre-hp-install",
                    "partner": "gelre",
                    "quantity": 2.5,
                    "start": 5,
                    "finish": 12,
                    "start_date": "2027-03-06",
                    "finish_date": "2027-03-13",
                    "cost": 3000.0,
                    "handoffs": [
                        {"from": "survey", "interface": "survey-report"},
                        {"from": "approve", "interface": "permit"},
                    ],
                    "wait": 2,
                    "uses": {"gelre-crews": 2, "heat-pumps-2027": 2.5},
                    "changed": True,
                    "previous": "bouw-hp-install",
                    "backup": None,
                },
            ],
            "single_points_of_failure": ["approve", "install"],
            "reasons": [],
        },
        {
            "request": "retrofit-8",
            "status": "infeasible",
            "cost": None,
            "finish": None,
            "budget": 1000.0,
            "deadline": 10,
            "partners": [],
            "assignments": [],
            "reasons": [
                "budget: the cheapest plan meeting everything else costs 1,250.00; budget is 1,000.00",
                "gelre-crews: needs 5 at once during days 12-15, has 4; with 5 the request can be planned",
            ],
            "reason_details": [
                {
                    "rule": "budget",
                    "text": "budget: the cheapest plan meeting everything else costs 1,250.00; budget is 1,000.00",
                    "needed": 1250.0,
                    "limit": 1000.0,
                },
                {
                    "rule": "at_once",
                    "text": "gelre-crews: needs 5 at once during days 12-15, has 4; with 5 the request can be planned",
                    "resource": "gelre-crews",
                    "needed": 5,
                    "limit": 4,
                },
            ],
        },
    ],
}


def document() -> dict[str, Any]:
    """A fresh copy of a document with every optional field of SPEC §5–§8."""
    return copy.deepcopy(_DOCUMENT)


def hostile_document() -> dict[str, Any]:
    """The same document with markup, formulas, separators and control characters in user text."""
    data = document()
    data["network"] = f"net {HOSTILE}"
    data["ambition"] = HOSTILE
    plan = data["plans"][0]
    plan["customer"] = '=HYPERLINK("http://evil"); a,b\\c\x1b[2J'
    first = plan["assignments"][0]
    first["capability"] = "+cmd|' /C calc'!A0"
    first["handoffs"] = []
    plan["assignments"][2]["handoffs"][1]["interface"] = "@SUM(1+1)<b>"
    data["plans"][1]["reasons"][0] = "-2+3 " + HOSTILE
    data["plans"][1]["reason_details"][0]["text"] = data["plans"][1]["reasons"][0]
    return data
