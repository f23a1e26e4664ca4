"""The loader on arbitrary input: a Network or an InputError with well-placed diagnostics, never anything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sbn.errors import InputError
from sbn.loader import Network, load_network, load_units
from sbn.yamlread import display_name

FIELDS = [
    "id", "name", "region", "certifications", "reputation", "capacity", "interests", "min_order_value", "avoid",
    "partner", "capability", "inputs", "outputs", "cost", "lead_time", "usage", "regions", "fixed", "per_unit",
    "customer", "quantity", "start", "deadline", "budget", "min_reputation", "steps", "after", "exclude", "prefer",
    "max_partners", "optimize", "priority", "ambition", "currency", "time_unit", "<<",
]  # fmt: skip
SCALARS = st.one_of(
    st.sampled_from(["a", "b", "p", "m", "c", "NO", "0012", "1", "0", "-1", "1.5", ".inf", ".nan", "2027-03-01", "*"]),
    st.sampled_from(["cost", "time", "yes", "~", "", "1e3", "1e30", "1e999999999", "2027-02-30", "x y"]),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
)
# Include targets are kept to names in the scratch directory: a generated "/" would read the whole disk.
INCLUDES = st.lists(st.sampled_from(["other.yaml", "missing.yaml", "fuzz.yaml", "."]), max_size=3)


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=6)), children, max_size=5),
    )


VALUES = st.recursive(SCALARS, _values, max_leaves=8)
ITEMS = st.lists(st.one_of(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6), VALUES), max_size=3)
# Nearly valid networks, so that references, duplicates, cycles and dates are reached too.
IDS = st.sampled_from(["a", "b", "c", "0012"])
NUMBERS = st.one_of(st.sampled_from(["1", "0", "-1", "2.5", ".inf", "x"]), st.integers(0, 100))
STEP = st.fixed_dictionaries(
    {"capability": st.sampled_from(["c", "d"])},
    optional={"id": IDS, "after": st.lists(IDS, max_size=3), "partner": IDS, "quantity": NUMBERS},
)
NETWORK = st.fixed_dictionaries(
    {
        "partners": st.lists(
            st.fixed_dictionaries(
                {"id": IDS},
                optional={
                    "capacity": NUMBERS,
                    "reputation": NUMBERS,
                    "interests": st.fixed_dictionaries({}, optional={"avoid": st.lists(IDS, max_size=2)}),
                },
            ),
            max_size=3,
        ),
        "modules": st.lists(
            st.fixed_dictionaries(
                {"id": IDS, "partner": IDS, "capability": st.sampled_from(["c", "d", "e"])},
                optional={"cost": st.one_of(NUMBERS, st.fixed_dictionaries({"fixed": NUMBERS})), "lead_time": NUMBERS},
            ),
            max_size=3,
        ),
        "requests": st.lists(
            st.fixed_dictionaries(
                {"id": IDS, "steps": st.lists(STEP, max_size=4)},
                optional={
                    "start": st.sampled_from(["2027-03-01", "2027-02-30"]),
                    "deadline": st.one_of(NUMBERS, st.sampled_from(["2027-03-09"])),
                    "exclude": st.lists(IDS, max_size=2),
                },
            ),
            max_size=2,
        ),
    },
    optional={"network": st.fixed_dictionaries({}, optional={"time_unit": st.sampled_from(["day", "hour"])})},
)
DOCUMENTS = st.one_of(
    NETWORK,
    st.fixed_dictionaries(
        {},
        optional={
            "network": st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4),
            "include": INCLUDES,
            "partners": ITEMS,
            "modules": ITEMS,
            "requests": ITEMS,
            "other": VALUES,
        },
    ),
    VALUES,
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A dumped document, then broken the ways people break YAML: tabs, stray bytes, lines doubled or lost."""
    text = yaml.safe_dump(draw(DOCUMENTS), allow_unicode=draw(st.booleans()), sort_keys=False).encode("utf-8")
    for _ in range(draw(st.integers(0, 3))):
        lines = text.split(b"\n")
        where = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["tab", "bytes", "double", "drop", "truncate", "anchor"]))
        if kind == "tab":
            lines[where] = b"\t" + lines[where]
        elif kind == "bytes":
            cut = draw(st.integers(0, len(lines[where])))
            lines[where] = lines[where][:cut] + draw(st.binary(min_size=1, max_size=3)) + lines[where][cut:]
        elif kind == "double":
            lines.insert(where, lines[where])
        elif kind == "drop":
            del lines[where]
        elif kind == "truncate":
            lines[where] = lines[where][: draw(st.integers(0, len(lines[where])))]
        else:
            lines[where] = lines[where].replace(b": ", b": &x ", 1) + b"\ny: *x"
        text = b"\n".join(lines)
    return text


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "other.yaml").write_text("partners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c}]\n")
    return directory


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_clean(directory: Path, raw: bytes) -> None:
    """Loading gives a Network or an InputError whose diagnostics all point inside a file, with a message."""
    path = directory / "fuzz.yaml"
    path.write_bytes(raw)
    # YAML 1.1 (libyaml) also breaks lines at NEL, LS and PS.
    breaks = ("\x85", "\u2028", "\u2029")
    lines = raw.count(b"\n") + raw.count(b"\r") + sum(raw.count(c.encode("utf-8")) for c in breaks) + 2
    for outcome in [_load(path), *load_units([str(path)])]:
        event(type(outcome).__name__)
        if isinstance(outcome, Network):
            continue
        assert isinstance(outcome, InputError)
        assert outcome.diagnostics
        for diagnostic in outcome.diagnostics:
            assert diagnostic.file and diagnostic.message
            assert diagnostic.severity in ("error", "warning", "note")
            assert diagnostic.line >= 1 and diagnostic.column >= 1
            if diagnostic.file == display_name(path):
                assert diagnostic.line <= lines, diagnostic


def _load(path: Path) -> Network | InputError:
    try:
        return load_network([str(path)])
    except InputError as error:
        return error


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text(scratch: Path, text: str) -> None:
    assert_clean(scratch, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes(scratch: Path, raw: bytes) -> None:
    assert_clean(scratch, raw)


@FUZZ
@given(document=DOCUMENTS)
def test_arbitrary_yaml_structures(scratch: Path, document: Any) -> None:
    assert_clean(scratch, yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode("utf-8"))


@FUZZ
@given(raw=mutated())
def test_mutated_yaml(scratch: Path, raw: bytes) -> None:
    assert_clean(scratch, raw)
