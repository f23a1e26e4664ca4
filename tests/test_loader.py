"""sbn.loader: every loading rule of SPEC §1, each with a case that breaks it and one that keeps it.

Bad inputs are checked by the exact diagnostics they give (``file:line:col: severity: message``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from sbn.errors import InputError, UsageError
from sbn.loader import MAX_REPORTED, ModuleRef, Network, load_network, load_units

Write = Callable[[str, str | bytes], Path]

# A tiny valid network: two partners, two modules, one request of two steps.
OK_SMALL = """\
network:
  name: tiny
partners:
  - id: acme
    region: NL
  - id: bolt
    region: BE
modules:
  - id: acme-weld
    partner: acme
    capability: weld
  - id: bolt-paint
    partner: bolt
    capability: paint
requests:
  - id: r1
    steps:
      - capability: weld
      - capability: paint
        after: [weld]
"""


def load(write: Write, files: dict[str, str | bytes], *paths: str) -> Network:
    for name, text in files.items():
        write(name, text)
    return load_network(list(paths) or [next(iter(files))])


def problems(write: Write, files: dict[str, str | bytes], *paths: str) -> list[str]:
    with pytest.raises(InputError) as info:
        load(write, files, *paths)
    return [diagnostic.render() for diagnostic in info.value.diagnostics]


def test_ok_small_loads(write: Write) -> None:
    network = load(write, {"net.yaml": OK_SMALL})
    assert network.info.name == "tiny"
    assert network.info.currency == "EUR"
    assert network.info.time_unit == "day"
    assert list(network.partners) == ["acme", "bolt"]
    assert list(network.modules) == ["acme-weld", "bolt-paint"]
    (request,) = network.requests
    assert [(step.id, step.after) for step in request.steps] == [("weld", ()), ("paint", ("weld",))]
    assert network.files == ("net.yaml",)
    assert network.warnings == ()


# -- files and includes ---------------------------------------------------------------------------


def test_include_reads_files_and_directories_in_sorted_order(write: Write) -> None:
    files: dict[str, str | bytes] = {
        "main.yaml": "include: [extra.yaml, partners]\npartners: [{id: p-main}]\n",
        "extra.yaml": "partners: [{id: p-extra}]\n",
        "partners/zeta.yaml": "partners: [{id: p-zeta}]\n",
        "partners/alpha.yml": "partners: [{id: p-alpha}]\n",
        "partners/m/mid.yaml": "partners: [{id: p-mid}]\n",
        "partners/notes.txt": "not: [yaml\n",
        "partners/README.md": "# not read\n",
    }
    network = load(write, files)
    assert network.files == (
        "main.yaml",
        "extra.yaml",
        "partners/alpha.yml",
        "partners/m/mid.yaml",
        "partners/zeta.yaml",
    )
    assert list(network.partners) == ["p-main", "p-extra", "p-alpha", "p-mid", "p-zeta"]


def test_include_paths_are_relative_to_the_including_file(write: Write) -> None:
    files: dict[str, str | bytes] = {
        "main.yaml": "include: [sub/a.yaml]\n",
        "sub/a.yaml": "include: [b.yaml]\n",
        "sub/b.yaml": "partners: [{id: deep}]\n",
    }
    assert load(write, files).files == ("main.yaml", "sub/a.yaml", "sub/b.yaml")


def test_a_file_included_twice_is_read_once(write: Write) -> None:
    # main includes shared twice, directly and through a directory and through another file:
    # were it read more than once, its partner would be a duplicate.
    files: dict[str, str | bytes] = {
        "main.yaml": "include: [lib/shared.yaml, lib, other.yaml, lib/shared.yaml]\n",
        "lib/shared.yaml": "partners: [{id: shared}]\n",
        "other.yaml": "include: [lib/shared.yaml]\n",
    }
    network = load(write, files)
    assert list(network.partners) == ["shared"]
    assert network.files == ("main.yaml", "lib/shared.yaml", "other.yaml")


def test_a_directory_may_include_the_file_that_names_it(write: Write) -> None:
    files: dict[str, str | bytes] = {"a.yaml": "include: [.]\npartners: [{id: a}]\n", "b.yaml": "partners: [{id: b}]\n"}
    assert list(load(write, files).partners) == ["a", "b"]


def test_paths_given_twice_or_overlapping_are_read_once(write: Write) -> None:
    files: dict[str, str | bytes] = {"d/a.yaml": "partners: [{id: a}]\n", "d/b.yaml": "partners: [{id: b}]\n"}
    assert list(load(write, files, "d", "d/a.yaml", "d").partners) == ["a", "b"]


def test_a_path_that_does_not_exist_is_a_usage_error(write: Write) -> None:
    with pytest.raises(UsageError, match=r"^nothere\.yaml: no such file or directory$"):
        load(write, {"a.yaml": ""}, "nothere.yaml")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("# partners come later\n", id="comment"),
        pytest.param("---\n", id="document-marker"),
        pytest.param("network:\ninclude:\npartners:\nmodules:\nrequests:\n", id="empty-sections"),
        pytest.param("\ufeffpartners: []\n", id="bom"),
    ],
)
def test_an_empty_file_declares_nothing(write: Write, text: str) -> None:
    network = load(write, {"a.yaml": text})
    assert (network.partners, network.modules, network.requests) == ({}, {}, ())
    assert network.info.name is None


# -- safe loading ---------------------------------------------------------------------------------


def test_strings_stay_exactly_as_written(write: Write) -> None:
    text = """\
    partners:
      - id: 0012
        region: NO
        certifications: [on, 1.0, yes]
    modules:
      - id: 007
        partner: 0012
        capability: off
        outputs: [1e3]
        regions: [NO, '*']
    requests:
      - id: 2027-03-01
        region: NO
        steps: [{id: 010, capability: off}]
    """
    network = load(write, {"a.yaml": text})
    partner = network.partners["0012"]
    assert (partner.region, partner.certifications) == ("NO", ("on", "1.0", "yes"))
    module = network.modules["007"]
    assert (module.partner, module.capability, module.outputs, module.regions) == ("0012", "off", ("1e3",), ("NO", "*"))
    (request,) = network.requests
    assert (request.id, request.region, request.steps[0].id) == ("2027-03-01", "NO", "010")


def test_null_leaves_a_field_out_so_its_default_applies(write: Write) -> None:
    text = """\
network: {name: demo, currency: ~, time_unit: null}
partners:
  - {id: p, reputation: ~, capacity: ~, interests: ~, certifications: ~}
modules:
  - {id: m, partner: p, capability: a, usage: ~, cost: ~, inputs: ~}
requests:
  - id: r
    priority:
    optimize: ~
    quantity: ~
    steps:
      - {id: ~, capability: a, after: ~}
"""
    network = load(write, {"net.yaml": text})
    assert (network.info.currency, network.info.time_unit) == ("EUR", "day")
    partner = network.partners["p"]
    assert (partner.reputation, partner.capacity, partner.certifications) == (Decimal("0.5"), None, ())
    module = network.modules["m"]
    assert (module.usage, module.cost.fixed, module.inputs) == (Decimal(1), Decimal(0), ())
    (request,) = network.requests
    assert (request.priority, request.optimize, request.quantity) == (0, ("cost", "time"), Decimal(1))
    assert request.steps[0].id == "a"


def test_whole_numbers_may_be_written_in_any_number_form(write: Write) -> None:
    requests = "requests:\n  - {id: r, max_partners: 1e1, priority: 2.0e0, steps: [{capability: c}]}\n"
    network = load(write, {"net.yaml": offering_c(requests)})
    (request,) = network.requests
    assert (request.max_partners, request.priority) == (10, 2)
    assert isinstance(request.max_partners, int) and isinstance(request.priority, int)


def test_numbers_are_exact_and_may_be_written_in_any_yaml_form(write: Write) -> None:
    text = """\
    partners:
      - id: p
        reputation: .5
        capacity: 1_000
    modules:
      - id: m
        partner: p
        capability: c
        cost: {fixed: 0.1, per_unit: 1e2}
        lead_time: +2
        usage: 0012
        capacity: 1e12
    """
    network = load(write, {"a.yaml": text})
    assert (network.partners["p"].reputation, network.partners["p"].capacity) == (Decimal("0.5"), Decimal(1000))
    module = network.modules["m"]
    assert (module.cost.fixed, module.cost.per_unit, module.lead_time.fixed, module.usage, module.capacity) == (
        Decimal("0.1"),
        Decimal(100),
        Decimal(2),
        Decimal(12),
        Decimal(10**12),
    )


def test_anchors_and_merge_keys_share_settings(write: Write) -> None:
    text = """\
    partners:
      - id: acme
        certifications: &certs [iso9001, vca]
      - id: bolt
        certifications: *certs
    modules:
      - &defaults
        id: weld-1
        partner: acme
        capability: weld
        cost: {fixed: 100, per_unit: 2}
      - <<: *defaults
        id: weld-2
        cost: 90
      - <<: [*defaults]
        id: weld-3
        partner: bolt
    """
    network = load(write, {"a.yaml": text})
    assert network.partners["bolt"].certifications == ("iso9001", "vca")
    modules = network.modules
    assert [(m.partner, m.capability, m.cost.fixed, m.cost.per_unit) for m in modules.values()] == [
        ("acme", "weld", Decimal(100), Decimal(2)),
        ("acme", "weld", Decimal(90), Decimal(0)),
        ("bolt", "weld", Decimal(100), Decimal(2)),
    ]


# -- references -----------------------------------------------------------------------------------


def test_references_that_resolve_are_accepted(write: Write) -> None:
    text = """\
    partners:
      - id: acme
        interests: {avoid: [bolt], min_order_value: 10}
      - id: bolt
    modules:
      - {id: acme, partner: acme, capability: weld}
      - {id: bolt-paint, partner: bolt, capability: paint}
    requests:
      - id: acme
        exclude: [bolt]
        prefer: [acme]
        steps:
          - {id: a, capability: weld, partner: acme}
          - {id: b, capability: weld, after: [a]}
          - {id: c, capability: paint, after: [a]}
          - {id: d, capability: paint, after: [b, c]}
      - id: r2
        start: 2027-03-01
        deadline: 2027-03-20
        steps: [{id: a, capability: weld}]
      - id: r3
        deadline: 12.5
        steps: [{id: a, capability: weld}]
    """
    network = load(write, {"a.yaml": text})
    # Ids are unique per kind: a partner, a module and a request may share one.
    assert "acme" in network.partners and "acme" in network.modules
    assert [r.id for r in network.requests] == ["acme", "r2", "r3"]
    assert network.requests[1].deadline_offset == 19
    assert network.requests[2].deadline_offset == 12


def test_a_capability_no_module_offers_is_only_a_warning(write: Write) -> None:
    text = OK_SMALL + "  - id: r2\n    steps:\n      - capability: fly\n"
    network = load(write, {"net.yaml": text})
    assert [w.render() for w in network.warnings] == [
        "net.yaml:23:21: warning: no module offers capability 'fly' (step 'fly')"
    ]


# -- every rule broken: exact diagnostics ---------------------------------------------------------

PARTNER_FIELDS = "id, name, region, certifications, reputation, capacity, interests"
OFFERS_C = "partners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c}]\n"


def offering_c(text: str) -> str:
    """The document plus a partner and a module offering capability c, after its last line."""
    return textwrap.dedent(text) + OFFERS_C


SAFE = "sbn reads YAML safely, as plain data"
TOP = "network, include, partners, modules, resources, requests"

BAD: list[object] = [
    # include: a path that does not exist
    pytest.param(
        {"main.yaml": "include:\n  - partners.yaml\n  - modules/\n"},
        [
            "main.yaml:2:5: error: included path not found: 'partners.yaml'",
            "main.yaml:3:5: error: included path not found: 'modules/'",
        ],
        id="include-missing",
    ),
    # include: a list of paths, not one path
    pytest.param(
        {"main.yaml": "include: other.yaml\n", "other.yaml": ""},
        ["main.yaml:1:10: error: 'include': expected a list, got the string 'other.yaml': write [other.yaml]"],
        id="include-not-a-list",
    ),
    # include: no cycle (the chain is named, at the include that closes it)
    pytest.param(
        {
            "a.yaml": "include: [b.yaml]\n",
            "b.yaml": "partners: []\ninclude: [c.yaml]\n",
            "c.yaml": "include:\n  - b.yaml\n",
        },
        ["c.yaml:2:5: error: include cycle: b.yaml -> c.yaml -> b.yaml"],
        id="include-cycle",
    ),
    # include: no cycle, even of a file including itself
    pytest.param(
        {"a.yaml": "include: [a.yaml]\n"},
        ["a.yaml:1:11: error: include cycle: a.yaml -> a.yaml"],
        id="include-self",
    ),
    # include: no cycle, even through a directory
    pytest.param(
        {"a.yaml": "include: [d]\n", "d/b.yaml": "include: [../a.yaml]\n"},
        ["d/b.yaml:1:11: error: include cycle: a.yaml -> d/b.yaml -> a.yaml"],
        id="include-cycle-through-directory",
    ),
    # top level: a mapping
    pytest.param(
        {"a.yaml": "- partners\n- modules\n"},
        [f"a.yaml:1:1: error: the top level must be a mapping of {TOP}"],
        id="root-list",
    ),
    pytest.param(
        {"a.yaml": "partners\n"}, [f"a.yaml:1:1: error: the top level must be a mapping of {TOP}"], id="root-scalar"
    ),
    # top level: only the known keys, with a hint when one is close
    pytest.param(
        {"a.yaml": "partner:\n  - id: a\ndefaults: {}\n"},
        [
            "a.yaml:1:1: error: unknown top-level key 'partner' (did you mean 'partners'?)",
            f"a.yaml:3:1: error: unknown top-level key 'defaults'; expected one of: {TOP}",
        ],
        id="unknown-top-level",
    ),
    # sections: lists
    pytest.param(
        {"a.yaml": "partners: {id: a}\nmodules: m\nrequests: 5\n"},
        [
            "a.yaml:1:11: error: partners must be a list of partners",
            "a.yaml:2:10: error: modules must be a list of modules",
            "a.yaml:3:11: error: requests must be a list of requests",
        ],
        id="section-not-a-list",
    ),
    # sections: each item a mapping
    pytest.param(
        {"a.yaml": "partners:\n  - acme\n  -\nmodules: [[m]]\n"},
        [
            "a.yaml:2:5: error: a partner must be a mapping, not 'acme'",
            "a.yaml:3:4: error: a partner must be a mapping, not empty",
            "a.yaml:4:11: error: a module must be a mapping, not a list",
        ],
        id="item-not-a-mapping",
    ),
    # network: a mapping of known fields
    pytest.param(
        {"a.yaml": "network:\n  name: n\n  time-unit: hour\n  owner: me\n"},
        [
            "a.yaml:3:3: error: unknown field 'time-unit' (did you mean 'time_unit'?)",
            "a.yaml:4:3: error: unknown field 'owner'; expected one of: name, ambition, currency, time_unit",
        ],
        id="network-unknown-field",
    ),
    pytest.param(
        {"a.yaml": "network: [a]\n"},
        ["a.yaml:1:10: error: 'network' must be a mapping, not a list"],
        id="network-not-mapping",
    ),
    # network: at most one across all files, both places named
    pytest.param(
        {"a.yaml": "network: {name: a}\ninclude: [b.yaml]\n", "b.yaml": "# b\nnetwork:\n  name: b\n"},
        ["b.yaml:2:1: error: network declared more than once: first at a.yaml:1:1"],
        id="network-twice",
    ),
    # safe loading: no tags that build objects
    pytest.param(
        {"a.yaml": "partners:\n  - !!python/object:sbn.model.Partner\n    id: x\n"},
        [f"a.yaml:2:5: error: tag 'tag:yaml.org,2002:python/object:sbn.model.Partner' is not allowed: {SAFE}"],
        id="python-object-tag",
    ),
    # safe loading: no duplicate keys, both lines named
    pytest.param(
        {"a.yaml": "partners:\n  - id: a\n    name: A\n    id: b\n"},
        ["a.yaml:4:5: error: duplicate key 'id': already defined at line 2"],
        id="duplicate-key",
    ),
    pytest.param(
        {"a.yaml": "partners:\n  - id: a\nmodules: []\npartners:\n  - id: b\n"},
        ["a.yaml:4:1: error: duplicate key 'partners': already defined at line 1"],
        id="duplicate-section",
    ),
    # safe loading: alias expansion bounded ("billion laughs"), reported at the value that explodes
    pytest.param(
        {
            "a.yaml": "partners:\n  - id: a\n    certifications: &c0 [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"  - id: p{i}\n    certifications: &c{i} [{', '.join([f'*c{i - 1}'] * 10)}]\n" for i in range(1, 9)
            )
        },
        [
            "a.yaml:11:21: error: alias expansion too large: this value expands to 111,111 nodes from 38 written; "
            "anchors may repeat values, not multiply them"
        ],
        id="alias-bomb",
    ),
    # safe loading: no value containing itself
    pytest.param(
        {"a.yaml": "partners: &all\n  - id: a\n  - *all\n"},
        ["a.yaml:1:11: error: recursive alias: a value contains itself"],
        id="recursive-alias",
    ),
    # UTF-8 only: a bad byte names its line
    pytest.param(
        {"a.yaml": b"partners:\n  - id: a\n    name: Caf\xe9 Noir\n"},
        ["a.yaml:3:14: error: file is not UTF-8: byte 0xe9 cannot be decoded"],
        id="not-utf8",
    ),
    # YAML is indented with spaces: a tab is reported at its line
    pytest.param(
        {"a.yaml": "partners:\n  - id: a\n\tname: A\n"},
        ["a.yaml:3:1: error: invalid YAML: tab character: YAML is indented with spaces, never tabs"],
        id="tab",
    ),
    # one document per file
    pytest.param(
        {"a.yaml": "partners: [{id: a}]\n---\nmodules: []\n"},
        ["a.yaml:2:1: error: invalid YAML: expected a single document in the stream, but found another document"],
        id="multiple-documents",
    ),
    # a BOM is accepted, and positions after it are unchanged
    pytest.param(
        {"a.yaml": "\ufeffpartners:\n  - id: a\n    zone: NL\n"},
        ["a.yaml:3:5: error: unknown field 'zone'; expected one of: " + PARTNER_FIELDS],
        id="bom-positions",
    ),
    # numbers are finite
    pytest.param(
        {
            "a.yaml": """\
            partners:
              - id: p
                reputation: .nan
                capacity: .inf
                interests: {min_order_value: -.inf}
            modules:
              - id: m
                partner: p
                capability: c
                cost: .Inf
                lead_time: {fixed: 1, per_unit: .NaN}
                capacity: +.inf
                usage: .nan
              - id: m2
                partner: p
                capability: c
                cost: {fixed: .inf}
            requests:
              - id: r
                quantity: .inf
                budget: .nan
                deadline: .inf
                min_reputation: .nan
                steps: [{capability: c, quantity: -.inf}]
            """
        },
        [
            "a.yaml:3:17: error: 'reputation': numbers must be finite, got .nan",
            "a.yaml:4:15: error: 'capacity': numbers must be finite, got .inf",
            "a.yaml:5:34: error: 'min_order_value': numbers must be finite, got -.inf",
            "a.yaml:10:11: error: 'cost': numbers must be finite, got .Inf",
            "a.yaml:11:37: error: 'per_unit': numbers must be finite, got .NaN",
            "a.yaml:12:15: error: 'capacity': numbers must be finite, got +.inf",
            "a.yaml:13:12: error: 'usage': numbers must be finite, got .nan",
            "a.yaml:17:19: error: 'fixed': numbers must be finite, got .inf",
            "a.yaml:20:15: error: 'quantity': numbers must be finite, got .inf",
            "a.yaml:21:13: error: 'budget': numbers must be finite, got .nan",
            "a.yaml:22:15: error: 'deadline': numbers must be finite, got .inf",
            "a.yaml:23:21: error: 'min_reputation': numbers must be finite, got .nan",
            "a.yaml:24:39: error: 'quantity': numbers must be finite, got -.inf",
        ],
        id="numbers-not-finite",
    ),
    # numbers are at most 1e12 in size, so money stays exact and a lead time cannot become a billion-digit integer
    pytest.param(
        {
            "a.yaml": "partners: [{id: p, capacity: 1e13}]\nmodules:\n  - id: m\n    partner: p\n    capability: c\n"
            "    cost: {per_unit: 1e30}\n    lead_time: 1e999999999\n"
        },
        [
            "a.yaml:1:30: error: 'capacity': numbers must be at most 1e12 in size, got 1e13",
            "a.yaml:6:22: error: 'per_unit': numbers must be at most 1e12 in size, got 1e30",
            "a.yaml:7:16: error: 'lead_time': numbers must be at most 1e12 in size, got 1e999999999",
        ],
        id="numbers-too-large",
    ),
    # numbers have at most 30 decimal places, so arithmetic on them stays exact and 1e-999999999 cannot blow up
    pytest.param(
        {
            "a.yaml": "partners: [{id: p, capacity: 0.0000000000000000000000000000001}]\nmodules:\n"
            "  - id: m\n    partner: p\n    capability: c\n    lead_time: 1e-999999999\n"
        },
        [
            "a.yaml:1:30: error: 'capacity': numbers may have at most 30 decimal places, got "
            "0.0000000000000000000000000000001",
            "a.yaml:6:16: error: 'lead_time': numbers may have at most 30 decimal places, got 1e-999999999",
        ],
        id="numbers-too-fine",
    ),
    # numbers: a number where one is expected, in its range
    pytest.param(
        {
            "a.yaml": """\
            partners:
              - id: p
                reputation: 1.5
                capacity: -1
              - id: q
                reputation: high
                capacity: [1]
            requests:
              - id: r
                quantity: 0
                max_partners: 1.5
                priority: first
                steps: [{capability: c}]
            """
        },
        [
            "a.yaml:3:17: error: 'reputation' must be at most 1",
            "a.yaml:4:15: error: 'capacity' must be at least 0",
            "a.yaml:6:17: error: 'reputation': expected a number, got 'high'",
            "a.yaml:7:15: error: 'capacity': expected a number, got a list",
            "a.yaml:10:15: error: 'quantity' must be greater than 0",
            "a.yaml:11:19: error: 'max_partners' must be a whole number",
            "a.yaml:12:15: error: 'priority': expected a number, got 'first'",
        ],
        id="numbers-out-of-range",
    ),
    # numbers are ASCII digits, "_" only between two of them
    pytest.param(
        {
            "a.yaml": 'partners:\n  - {id: p, capacity: _1}\n  - {id: q, capacity: 1__0}\n  - {id: r, capacity: "١٢"}\n'
            "  - {id: s, capacity: 1_000.5}\n"
        },
        [
            "a.yaml:2:23: error: 'capacity': expected a number, got '_1'",
            "a.yaml:3:23: error: 'capacity': expected a number, got '1__0'",
            "a.yaml:4:23: error: 'capacity': expected a number, got '١٢'",
        ],
        id="numbers-ascii-separated",
    ),
    # unknown fields, with a hint: partner and its interests
    pytest.param(
        {"a.yaml": "partners:\n  - id: a\n    reputaton: 1\n    interests:\n      avoids: []\n    colour: red\n"},
        [
            "a.yaml:3:5: error: unknown field 'reputaton' (did you mean 'reputation'?)",
            "a.yaml:5:7: error: unknown field 'avoids' (did you mean 'avoid'?)",
            "a.yaml:6:5: error: unknown field 'colour'; expected one of: " + PARTNER_FIELDS,
        ],
        id="unknown-partner-fields",
    ),
    # unknown fields, with a hint: module and its cost and lead-time mappings
    pytest.param(
        {
            "a.yaml": "partners: [{id: p}]\nmodules:\n  - id: m\n    partner: p\n    capabilty: c\n"
            "    cost: {fixed: 1, perunit: 2}\n    lead_time: {fix: 1}\n"
        },
        [
            "a.yaml:3:5: error: missing required field 'capability'",
            "a.yaml:5:5: error: unknown field 'capabilty' (did you mean 'capability'?)",
            "a.yaml:6:22: error: unknown field 'perunit' (did you mean 'per_unit'?)",
            "a.yaml:7:17: error: unknown field 'fix' (did you mean 'fixed'?)",
        ],
        id="unknown-module-fields",
    ),
    # unknown fields, with a hint: an amount in a module's uses (a mapping of resource ids, then the amount's fields)
    pytest.param(
        {
            "a.yaml": "partners: [{id: p}]\nresources: [{id: crew, at_once: 2}]\nmodules:\n  - id: m\n    partner: p\n"
            "    capability: c\n    uses: {crew: {fixed: 1, per_unt: 1}}\n"
        },
        ["a.yaml:7:29: error: unknown field 'per_unt' (did you mean 'per_unit'?)"],
        id="unknown-uses-amount-field",
    ),
    # unknown fields, with a hint: request and step
    pytest.param(
        {
            "a.yaml": "requests:\n  - id: r\n    dedline: 3\n    steps:\n      - capability: c\n        afterr: []\n"
            "      - capability: d\n        pin: p\n"
        },
        [
            "a.yaml:3:5: error: unknown field 'dedline' (did you mean 'deadline'?)",
            "a.yaml:6:9: error: unknown field 'afterr' (did you mean 'after'?)",
            "a.yaml:8:9: error: unknown field 'pin'; expected one of: "
            "id, capability, after, quantity, certifications, partner",
        ],
        id="unknown-request-fields",
    ),
    # unknown criterion in optimize
    pytest.param(
        {"a.yaml": "requests:\n  - id: r\n    optimize: [cost, tiem]\n    steps: [{capability: c}]\n"},
        ["a.yaml:3:22: error: unknown criterion 'tiem' in 'optimize' (did you mean 'time'?)"],
        id="unknown-criterion",
    ),
    # required fields: reported at the mapping that lacks them
    pytest.param(
        {"a.yaml": "partners:\n  - name: Acme\nmodules:\n  - id: m\nrequests:\n  - id: r\n  - id: s\n    steps: []\n"},
        [
            "a.yaml:2:5: error: missing required field 'id'",
            "a.yaml:4:5: error: missing required field 'partner'",
            "a.yaml:4:5: error: missing required field 'capability'",
            "a.yaml:6:5: error: missing required field 'steps'",
            "a.yaml:8:12: error: 'steps' must not be empty",
        ],
        id="missing-fields",
    ),
    # fields hold the right kind of value
    pytest.param(
        {
            "a.yaml": "partners:\n  - id: ~\n    name: [A]\n    certifications: iso9001\n"
            "  - id: q\n    interests: [a]\n"
            "modules:\n  - {id: m, partner: q, capability: c, regions: [NL, ~]}\n"
        },
        [
            "a.yaml:2:9: error: 'id' must be text, not empty",
            "a.yaml:3:11: error: 'name' must be text, not a list",
            "a.yaml:4:21: error: 'certifications': expected a list, got the string 'iso9001': write [iso9001]",
            "a.yaml:6:16: error: 'interests' must be a mapping, not a list",
            "a.yaml:8:54: error: each item of 'regions' must be text, not empty",
        ],
        id="wrong-kinds",
    ),
    # ids match [A-Za-z0-9][A-Za-z0-9._-]*
    pytest.param(
        {
            "a.yaml": "partners:\n  - id: -acme\n  - id: 'a b'\nrequests:\n  - id: r\n"
            "    steps: [{capability: 'x y'}, {capability: \"z\\n\"}]\n"
        },
        [
            "a.yaml:2:9: error: invalid id for 'id': ids start with a letter or digit and hold only letters, digits, "
            "'.', '_' and '-'",
            "a.yaml:3:9: error: invalid id for 'id': ids start with a letter or digit and hold only letters, digits, "
            "'.', '_' and '-'",
            "a.yaml:6:13: error: 'steps': a step without an id takes its capability as id, "
            "but 'x y' is not a valid id: add an id",
            "a.yaml:6:34: error: 'steps': a step without an id takes its capability as id, "
            "but 'z\\n' is not a valid id: add an id",
        ],
        id="invalid-ids",
    ),
    # references: a module's partner exists (ids are strings: 12 is not 0012)
    pytest.param(
        {
            "a.yaml": "partners: [{id: acme}, {id: '0012'}]\nmodules:\n  - {id: m, partner: acne, capability: c}\n"
            "  - {id: n, partner: 12, capability: c}\n"
        },
        [
            "a.yaml:3:22: error: unknown partner 'acne' (did you mean 'acme'?)",
            "a.yaml:4:22: error: unknown partner '12' (did you mean '0012'?)",
        ],
        id="module-partner-unknown",
    ),
    # references: interests.avoid, exclude, prefer and a step's pin name partners
    pytest.param(
        {
            "a.yaml": """\
            partners:
              - id: acme
                interests: {avoid: [bolt, zeta]}
              - id: bolt
            requests:
              - id: r
                exclude: [acm]
                prefer: [bolt, nobody]
                steps:
                  - {capability: c, partner: blot}
            """
        },
        [
            "a.yaml:3:31: error: unknown partner 'zeta'; expected one of: acme, bolt",
            "a.yaml:7:15: error: unknown partner 'acm' (did you mean 'acme'?)",
            "a.yaml:8:20: error: unknown partner 'nobody'; expected one of: acme, bolt",
            "a.yaml:10:22: warning: no module offers capability 'c' (step 'c')",
            "a.yaml:10:34: error: unknown partner 'blot' (did you mean 'bolt'?)",
        ],
        id="partner-references-unknown",
    ),
    # a partner avoiding itself would make every plan with it impossible: an error, not a silent rule
    pytest.param(
        {"a.yaml": "partners:\n  - id: solo\n    interests: {avoid: [other, solo]}\n  - id: other\n"},
        ["a.yaml:3:32: error: partner 'solo' cannot avoid itself; list the partners it never works with"],
        id="partner-avoids-itself",
    ),
    # an unknown field is reported even when it is empty: null only leaves known fields out
    pytest.param(
        {"a.yaml": "partners:\n  - id: p\n    reputaton:\n    interests: {avoidd: ~}\n"},
        [
            "a.yaml:3:5: error: unknown field 'reputaton' (did you mean 'reputation'?)",
            "a.yaml:4:17: error: unknown field 'avoidd' (did you mean 'avoid'?)",
        ],
        id="unknown-field-given-null",
    ),
    # a step without id and without a usable capability: only the capability is reported
    pytest.param(
        {"a.yaml": "requests:\n  - id: r\n    steps: [{capability: ~}, {after: []}, {capability: [a]}]\n"},
        [
            "a.yaml:3:26: error: 'capability' must be text, not empty",
            "a.yaml:3:30: error: missing required field 'capability'",
            "a.yaml:3:56: error: 'capability' must be text, not a list",
        ],
        id="step-without-capability-or-id",
    ),
    # references: after names steps of the same request, never the step itself
    pytest.param(
        {
            "a.yaml": offering_c(
                """\
            requests:
              - id: r1
                steps:
                  - {id: cut, capability: c}
                  - {id: weld, capability: c, after: [cutt, weld]}
              - id: r2
                steps:
                  - {id: paint, capability: c, after: [cut]}
            """
            )
        },
        [
            "a.yaml:5:43: error: unknown step 'cutt' (did you mean 'cut'?)",
            "a.yaml:5:49: error: step 'weld' cannot come after itself",
            "a.yaml:8:44: error: unknown step 'cut'; expected one of: paint",
        ],
        id="after-unknown",
    ),
    # steps: after forms no cycle, and the cycle is named
    pytest.param(
        {
            "a.yaml": offering_c(
                """\
            requests:
              - id: r
                steps:
                  - {id: a, capability: c, after: [c]}
                  - {id: b, capability: c, after: [a]}
                  - {id: c, capability: c, after: [b]}
                  - {id: d, capability: c, after: [a]}
            """
            )
        },
        ["a.yaml:4:39: error: step cycle: a -> b -> c -> a"],
        id="step-cycle",
    ),
    # steps: ids unique within the request (a step without an id takes its capability)
    pytest.param(
        {
            "a.yaml": "requests:\n  - id: r\n    steps:\n      - capability: c\n      - capability: c\n"
            "      - {id: x, capability: c}\n      - {id: x, capability: c}\n" + OFFERS_C
        },
        [
            "a.yaml:5:9: error: duplicate step id 'c' in request 'r': first is step 1",
            "a.yaml:7:14: error: duplicate step id 'x' in request 'r': first is step 3",
        ],
        id="duplicate-step-ids",
    ),
    # ids unique per kind across all files, both places named
    pytest.param(
        {
            "a.yaml": "include: [b.yaml]\npartners:\n  - id: acme\n"
            "modules:\n  - {id: m, partner: acme, capability: c}\n"
            "requests:\n  - id: r\n    steps: [{capability: c}]\n",
            "b.yaml": "partners:\n  - name: Acme again\n    id: acme\n"
            "modules:\n  - {id: m, partner: acme, capability: c}\n"
            "requests:\n  - id: r\n    steps: [{capability: c}]\n  - id: r\n    steps: [{capability: c}]\n",
        },
        [
            "b.yaml:3:9: error: duplicate partner id 'acme': first declared at a.yaml:3:5",
            "b.yaml:5:10: error: duplicate module id 'm': first declared at a.yaml:5:5",
            "b.yaml:7:9: error: duplicate request id 'r': first declared at a.yaml:7:5",
            "b.yaml:9:9: error: duplicate request id 'r': first declared at a.yaml:7:5",
        ],
        id="duplicate-ids-across-files",
    ),
    # dates: a date deadline needs a start date
    pytest.param(
        {
            "a.yaml": offering_c(
                """\
            requests:
              - id: r
                deadline: 2027-03-01
                steps: [{capability: c}]
              - id: s
                start: 2027-13-01
                deadline: 2027-02-30
                steps: [{capability: c}]
              - id: t
                start: 2027-03-01
                deadline: 2027-03-05T10:00:00
                steps: [{capability: c}]
            """
            )
        },
        [
            "a.yaml:3:15: error: a date deadline needs a start date: add 'start'",
            "a.yaml:6:12: error: 'start': invalid date '2027-13-01'",
            "a.yaml:7:15: error: 'deadline': invalid date '2027-02-30'",
            "a.yaml:11:15: error: 'deadline' must be a number or a date like 2027-03-01, got '2027-03-05T10:00:00'",
        ],
        id="date-deadline-without-start",
    ),
    # dates: start is a calendar date, never a number (a timestamp) or a date with a time
    pytest.param(
        {
            "a.yaml": offering_c(
                """\
            requests:
              - {id: r, start: 86400, steps: [{capability: c}]}
              - {id: s, start: 0, steps: [{capability: c}]}
              - {id: t, start: "2027-03-01T00:00:00", steps: [{capability: c}]}
              - {id: u, start: 2027-03-01 10:00, steps: [{capability: c}]}
              - {id: v, start: [2027-03-01], steps: [{capability: c}]}
              - {id: w, start: "\\x1b[2J2027-03-01", steps: [{capability: c}]}
            """
            )
        },
        # the value is echoed, quoted as every user value is (issue 16, defect 6)
        [
            "a.yaml:2:20: error: 'start' must be a date like 2027-03-01, got '86400'",
            "a.yaml:3:20: error: 'start' must be a date like 2027-03-01, got '0'",
            "a.yaml:4:20: error: 'start' must be a date like 2027-03-01, got '2027-03-01T00:00:00'",
            "a.yaml:5:20: error: 'start' must be a date like 2027-03-01, got '2027-03-01 10:00'",
            "a.yaml:6:20: error: 'start' must be a date like 2027-03-01, got a list",
            "a.yaml:7:20: error: 'start' must be a date like 2027-03-01, got '\\x1b[2J2027-03-01'",
        ],
        id="start-not-a-date",
    ),
    # dates: only with time unit day
    pytest.param(
        {
            "a.yaml": "network: {time_unit: hour}\nrequests:\n  - id: r\n    start: 2027-03-01\n"
            "    steps: [{capability: c}]\n" + OFFERS_C
        },
        ["a.yaml:4:12: error: dates need time_unit 'day'; the network's is 'hour'"],
        id="dates-need-days",
    ),
]


@pytest.mark.parametrize(("files", "expected"), BAD)
def test_bad_input_is_reported_exactly(write: Write, files: dict[str, str | bytes], expected: list[str]) -> None:
    assert problems(write, files) == expected


@pytest.mark.parametrize(("files", "expected"), BAD)
def test_validate_keeping_module_refs_reports_exactly_the_same(
    write: Write, files: dict[str, str | bytes], expected: list[str]
) -> None:
    """load_units keeps a ModuleRef per module, not the Module: the diagnostics are those of load_network."""
    for name, text in files.items():
        write(name, text)
    units = load_units([next(iter(files))])
    if len(units) > 1:  # several networks: each is checked apart, so the problems differ by design
        assert "network declared more than once" in " ".join(expected)
        return
    (unit,) = units
    assert isinstance(unit, InputError)
    assert [diagnostic.render() for diagnostic in unit.diagnostics] == expected


def test_validate_keeps_what_it_needs_of_each_module(write: Write) -> None:
    write("net.yaml", OK_SMALL + "  - id: r2\n    steps:\n      - capability: fly\n")
    write("more.yaml", "modules:\n  - {id: more-weld, partner: bolt, capability: weld, cost: 3}\n")
    full = load_network(["."])
    (lean,) = load_units(["."])
    assert isinstance(lean, Network)
    assert all(isinstance(ref, ModuleRef) for ref in lean.modules.values())
    assert [(m.id, m.partner, m.capability) for m in lean.modules.values()] == [
        (m.id, m.partner, m.capability) for m in full.modules.values()
    ]
    assert [(ref.origin.file, ref.origin.path) for ref in lean.modules.values()] == [
        ("more.yaml", ("modules", 0)),
        ("net.yaml", ("modules", 0)),
        ("net.yaml", ("modules", 1)),
    ]
    assert {capability: [m.id for m in group] for capability, group in lean.by_capability.items()} == {
        capability: [m.id for m in group] for capability, group in full.by_capability.items()
    }
    assert (lean.info, lean.partners, lean.requests) == (full.info, full.partners, full.requests)
    assert lean.files == full.files
    assert (
        [w.render() for w in lean.warnings]
        == [w.render() for w in full.warnings]
        == ["net.yaml:23:21: warning: no module offers capability 'fly' (step 'fly')"]
    )


def test_every_problem_is_reported_in_one_run_in_file_order(write: Write) -> None:
    # Syntax, schema and reference errors in four files; an invalid partner (acme) is reported once,
    # not again where it is referenced. The syntax error comes first: it left a file unread. The
    # partners referenced are not written in the unread file, so they are still reported.
    files: dict[str, str | bytes] = {
        "net.yaml": "network: {name: n}\ninclude: [partners.yaml, broken.yaml, requests.yaml]\nmodules:\n"
        "  - {id: m1, partner: acme, capability: weld}\n  - {id: m2, partner: nobody, capability: weld}\n"
        "  - {id: m3, partner: bolt, capability: weld, cots: 3}\n",
        "partners.yaml": "partners:\n  - id: acme\n    reputation: 2\n"
        "  - id: bolt\n    interests: {avoid: [acme, zed]}\n",
        "broken.yaml": "partners:\n  - id: x\n   name: X\n",
        "requests.yaml": "requests:\n  - id: r\n    exclude: [bolt, bot]\n    steps:\n"
        "      - {id: a, capability: weld, after: [b]}\n"
        "      - {id: b, capability: weld, after: [a]}\n",
    }
    assert problems(write, files) == [
        "broken.yaml:3:4: error: invalid YAML: did not find expected '-' indicator: "
        "check the indentation of this line against the list at 2:3",
        "net.yaml:5:23: error: unknown partner 'nobody'; expected one of: acme, bolt",
        "net.yaml:6:47: error: unknown field 'cots' (did you mean 'cost'?)",
        "partners.yaml:3:17: error: 'reputation' must be at most 1",
        "partners.yaml:5:31: error: unknown partner 'zed'; expected one of: acme, bolt",
        "requests.yaml:3:21: error: unknown partner 'bot' (did you mean 'bolt'?)",
        "requests.yaml:5:42: error: step cycle: a -> b -> a",
    ]


def test_a_duplicate_key_hides_nothing_else_in_its_file(write: Write) -> None:
    # The first of the duplicate keys is kept, so partner a exists and the rest of the file is checked.
    text = "partners:\n  - id: a\n    id: b\nmodules:\n  - {id: m, partner: a, capability: c, cots: 1}\n"
    assert problems(write, {"a.yaml": text}) == [
        "a.yaml:3:5: error: duplicate key 'id': already defined at line 2",
        "a.yaml:5:40: error: unknown field 'cots' (did you mean 'cost'?)",
    ]


def test_a_refused_tag_stops_its_file(write: Write) -> None:
    text = "partners:\n  - id: !!python/name:os.system a\nmodules:\n  - {id: m, partner: a, capability: c, cots: 1}\n"
    assert problems(write, {"a.yaml": text}) == [
        f"a.yaml:2:9: error: tag 'tag:yaml.org,2002:python/name:os.system' is not allowed: {SAFE}"
    ]


def test_hundreds_of_problems_are_all_collected(write: Write) -> None:
    text = "partners:\n" + "".join(f"  - id: p{i}\n    colour: red\n" for i in range(150))
    found = problems(write, {"a.yaml": text})
    assert len(found) == 150 > MAX_REPORTED
    assert found[0] == "a.yaml:3:5: error: unknown field 'colour'; expected one of: " + PARTNER_FIELDS
    assert found[-1] == "a.yaml:301:5: error: unknown field 'colour'; expected one of: " + PARTNER_FIELDS


# -- validate: each network on its own ------------------------------------------------------------


def test_load_units_checks_each_network_on_its_own(write: Write) -> None:
    write("one/net.yaml", "network: {name: one}\npartners: [{id: p}]\n")
    write("two/net.yaml", "network: {name: two}\npartners: [{id: p}]\nmodules: [{id: m, partner: q, capability: c}]\n")
    one, two = load_units(["."])
    assert isinstance(one, Network) and one.info.name == "one"
    assert isinstance(two, InputError)
    assert [d.render() for d in two.diagnostics] == [
        "two/net.yaml:3:28: error: unknown partner 'q'; expected one of: p"
    ]


def test_load_units_checks_networks_sharing_a_file_apart(write: Write) -> None:
    write("shared/partners.yaml", "partners: [{id: p}]\n")
    write("one.yaml", "network: {name: one}\ninclude: [shared]\nmodules: [{id: m, partner: p, capability: c}]\n")
    write("two.yaml", "network: {name: two}\ninclude: [shared]\nmodules: [{id: m, partner: p, capability: c}]\n")
    one, two = load_units(["one.yaml", "two.yaml"])
    assert isinstance(one, Network) and isinstance(two, Network)
    assert (one.info.name, one.files) == ("one", ("one.yaml", "shared/partners.yaml"))
    assert (two.info.name, two.files) == ("two", ("two.yaml", "shared/partners.yaml"))


def test_load_units_joins_request_files_sharing_one_network(write: Write) -> None:
    write("net.yaml", "network: {name: n}\npartners: [{id: p}]\nmodules: [{id: m, partner: p, capability: c}]\n")
    write("other/net.yaml", "network: {name: other}\n")
    write("a.yaml", "include: [net.yaml]\nrequests: [{id: a, steps: [{capability: c}]}]\n")
    write("b.yaml", "include: [net.yaml]\nrequests: [{id: b, steps: [{capability: c}]}]\n")
    joined, other = load_units(["a.yaml", "b.yaml", "other"])
    assert isinstance(joined, Network) and isinstance(other, Network)
    assert [r.id for r in joined.requests] == ["a", "b"]
    assert other.info.name == "other"


def test_load_units_is_one_unit_for_one_network(write: Write) -> None:
    write("net.yaml", OK_SMALL)
    write("more.yaml", "partners: [{id: more}]\n")
    (unit,) = load_units(["."])
    assert isinstance(unit, Network)
    assert list(unit.partners) == ["more", "acme", "bolt"]


# -- input that could not be read: what it would declare is noted, not reported (issue 16, defect 2) --

# A network split as users split it: partners in one file, modules in a folder, requests on their own.
SPLIT = {
    "net.yaml": "network: {name: split}\ninclude: [partners.yaml, modules]\n",
    "partners.yaml": "partners:\n  - id: acme\n    region: NL\n  - id: bolt\n    region: NL\n",
    "modules/weld.yaml": "modules:\n  - {id: acme-weld, partner: acme, capability: weld}\n",
    "modules/paint.yaml": "modules:\n  - {id: bolt-paint, partner: bolt, capability: paint}\n"
    "  - {id: bolt-polish, partner: bolt, capability: polish}\n",
    "requests.yaml": "include: [net.yaml]\nrequests:\n  - id: r\n    exclude: [bolt]\n    prefer: [acme]\n"
    "    steps:\n      - {capability: weld, partner: acme}\n      - {capability: paint, after: [weld]}\n",
}
# partners.yaml with its second item mis-indented by one space: libyaml stops there.
MISINDENTED = "partners:\n  - id: acme\n    region: NL\n  - id: bolt\n   region: NL\n"
PARTNERS_UNREAD = (
    "invalid YAML: did not find expected '-' indicator: check the indentation of this line against the list at 2:3"
)


def test_a_syntax_error_in_the_partners_file_comes_first_and_the_references_into_it_are_one_note_per_file(
    write: Write,
) -> None:
    files = {**SPLIT, "partners.yaml": MISINDENTED}
    assert problems(write, files, "requests.yaml") == [
        f"partners.yaml:5:4: error: {PARTNERS_UNREAD}",
        "requests.yaml:4:15: note: 2 partners ('bolt', 'acme') not found, not reported: "
        "partners.yaml, which could not be read, may declare them",
        "modules/paint.yaml:2:31: note: 1 partner ('bolt') not found, not reported: "
        "partners.yaml, which could not be read, may declare it",
        "modules/weld.yaml:2:30: note: 1 partner ('acme') not found, not reported: "
        "partners.yaml, which could not be read, may declare it",
    ]


def test_the_same_network_read_whole_reports_its_partners(write: Write) -> None:
    # Binds the other way: with partners.yaml read, the same references are checked and pass.
    network = load(write, SPLIT, "requests.yaml")
    assert list(network.partners) == ["acme", "bolt"]


def test_a_reference_the_unread_file_does_not_mention_is_still_an_error(write: Write) -> None:
    # 'acmee' is not written in partners.yaml: it cannot declare it, so the typo is reported as ever.
    files = {**SPLIT, "partners.yaml": MISINDENTED}
    files["modules/weld.yaml"] = "modules:\n  - {id: acme-weld, partner: acmee, capability: weld}\n"
    found = problems(write, files, "net.yaml")
    assert found[0] == f"partners.yaml:5:4: error: {PARTNERS_UNREAD}"
    assert "modules/weld.yaml:2:30: error: unknown partner 'acmee': the files read declare no partner" in found


def test_a_module_file_that_cannot_be_read_turns_the_capability_warnings_it_may_answer_into_a_note(
    write: Write,
) -> None:
    files = {**SPLIT, "modules/paint.yaml": "modules:\n  - {id: bolt-paint, partner: bolt, capability: paint\n"}
    files["requests.yaml"] += "      - {capability: fly}\n"
    with pytest.raises(InputError) as info:
        load(write, files, "requests.yaml")
    assert [d.render() for d in info.value.diagnostics] == [
        "modules/paint.yaml:2:5: error: invalid YAML: '{' is never closed "
        "(the parser gave up at 3:1: did not find expected ',' or '}')",
        # 'fly' is not written in paint.yaml: nobody offers it, as before.
        "requests.yaml:8:22: note: 1 capability ('paint') not found, not reported: "
        "modules/paint.yaml, which could not be read, may declare it",
        "requests.yaml:9:22: warning: no module offers capability 'fly' (step 'fly')",
    ]


def test_a_network_file_that_cannot_be_read_may_have_included_anything(write: Write) -> None:
    # Its includes are lost with it, so every reference to what they would declare is noted.
    files = {**SPLIT, "net.yaml": "network: {name: [split}\ninclude: [partners.yaml, modules]\n"}
    assert problems(write, files, "requests.yaml") == [
        "net.yaml:1:17: error: invalid YAML: '[' is never closed "
        "(the parser gave up at 1:23: did not find expected ',' or ']')",
        "requests.yaml:4:15: note: 2 partners ('bolt', 'acme') and 2 capabilities ('weld', 'paint') not found, "
        "not reported: net.yaml, which could not be read, may declare them",
    ]


def test_an_include_not_found_comes_first_and_is_named_in_the_notes(write: Write) -> None:
    files = {**SPLIT, "net.yaml": "network: {name: split}\ninclude: [modules, partner.yaml]\n"}
    assert problems(write, files, "requests.yaml") == [
        "net.yaml:2:20: error: included path not found: 'partner.yaml'",
        "requests.yaml:4:15: note: 2 partners ('bolt', 'acme') not found, not reported: "
        "the include 'partner.yaml' of net.yaml, which could not be read, may declare them",
        "modules/paint.yaml:2:31: note: 1 partner ('bolt') not found, not reported: "
        "the include 'partner.yaml' of net.yaml, which could not be read, may declare it",
        "modules/weld.yaml:2:30: note: 1 partner ('acme') not found, not reported: "
        "the include 'partner.yaml' of net.yaml, which could not be read, may declare it",
    ]


@pytest.mark.parametrize(
    ("partners", "error"),
    [
        # a list written as a mapping
        ("partners:\n  id: acme\n  id2: bolt\n", "partners.yaml:2:3: error: partners must be a list of partners"),
        # the whole file a list: 'partners:' forgotten
        (
            "- id: acme\n- id: bolt\n",
            "partners.yaml:1:1: error: the top level must be a mapping of "
            "network, include, partners, modules, resources, requests",
        ),
        # not UTF-8
        (
            b"partners:\n  - id: acme\n  - id: bolt\n    name: \xff\n",
            "partners.yaml:4:11: error: file is not UTF-8: byte 0xff cannot be decoded",
        ),
    ],
)
def test_whatever_leaves_the_partners_unread_turns_references_to_them_into_notes(
    write: Write, partners: str | bytes, error: str
) -> None:
    found = problems(write, {**SPLIT, "partners.yaml": partners}, "net.yaml")
    assert found[0] == error
    assert [line.split(": note: ")[0] for line in found[1:]] == ["modules/paint.yaml:2:31", "modules/weld.yaml:2:30"]


def test_a_partner_avoided_in_another_file_is_noted_when_its_file_cannot_be_read(write: Write) -> None:
    files = {
        "net.yaml": "include: [a.yaml, b.yaml]\npartners:\n  - {id: c, interests: {avoid: [b1]}}\n",
        "a.yaml": "partners: [{id: a1}]\n",
        "b.yaml": "partners: [{id: b1}\n",
    }
    assert problems(write, files) == [
        "b.yaml:1:11: error: invalid YAML: '[' is never closed "
        "(the parser gave up at 2:1: did not find expected ',' or ']')",
        "net.yaml:3:33: note: 1 partner ('b1') not found, not reported: "
        "b.yaml, which could not be read, may declare it",
    ]


def test_a_capability_offered_only_by_an_invalid_module_gets_no_warning(write: Write) -> None:
    # The module's own error says what to fix; "no module offers 'weld'" would send the reader elsewhere.
    files = {
        "net.yaml": "partners: [{id: p}]\nmodules: [{id: m, partner: p, capability: weld, cots: 1}]\n"
        "requests: [{id: r, steps: [{capability: weld}, {capability: fly}]}]\n"
    }
    assert problems(write, files) == [
        "net.yaml:2:49: error: unknown field 'cots' (did you mean 'cost'?)",
        "net.yaml:3:61: warning: no module offers capability 'fly' (step 'fly')",
    ]


def test_a_capability_offered_only_by_a_duplicate_module_gets_no_warning(write: Write) -> None:
    # The duplicate id is the error; "no module offers 'paint'" would say the module is not there at all.
    files = {
        "net.yaml": "partners: [{id: p}]\nmodules:\n  - {id: m, partner: p, capability: weld}\n"
        "  - {id: m, partner: p, capability: paint}\n"
        "requests: [{id: r, steps: [{capability: weld}, {capability: paint}, {capability: fly}]}]\n"
    }
    assert problems(write, files) == [
        "net.yaml:4:10: error: duplicate module id 'm': first declared at net.yaml:3:5",
        "net.yaml:5:82: warning: no module offers capability 'fly' (step 'fly')",
    ]


def test_an_unknown_criterion_is_named_before_the_choices(write: Write) -> None:
    files = {"net.yaml": "requests: [{id: r, optimize: [cheapest], steps: [{capability: c}]}]\n" + OFFERS_C}
    assert problems(write, files)[0] == (
        "net.yaml:1:31: error: unknown criterion 'cheapest' in 'optimize'; "
        "expected one of: cost, time, partners, reputation, preferred"
    )


def test_an_unknown_partner_in_a_network_without_partners_says_so_instead_of_an_empty_list(write: Write) -> None:
    files = {"net.yaml": "modules: [{id: m, partner: p, capability: c}]\n"}
    assert problems(write, files) == ["net.yaml:1:28: error: unknown partner 'p': the files read declare no partner"]


def test_validate_checks_the_same_way_as_plan_when_several_networks_share_a_folder(write: Write) -> None:
    # Each network unit holds its own unread file: its notes stay with it, and it comes first.
    for name, text in {**SPLIT, "partners.yaml": MISINDENTED}.items():
        write(f"one/{name}", text)
    write("two/net.yaml", "network: {name: two}\npartners: [{id: p}]\nmodules: [{id: m, partner: q, capability: c}]\n")
    units = load_units(["."])
    rendered = [[d.render() for d in unit.diagnostics] for unit in units if isinstance(unit, InputError)]
    assert rendered == [
        [
            f"one/partners.yaml:5:4: error: {PARTNERS_UNREAD}",
            "one/requests.yaml:4:15: note: 2 partners ('bolt', 'acme') not found, not reported: "
            "one/partners.yaml, which could not be read, may declare them",
            "one/modules/paint.yaml:2:31: note: 1 partner ('bolt') not found, not reported: "
            "one/partners.yaml, which could not be read, may declare it",
            "one/modules/weld.yaml:2:30: note: 1 partner ('acme') not found, not reported: "
            "one/partners.yaml, which could not be read, may declare it",
        ],
        ["two/net.yaml:3:28: error: unknown partner 'q'; expected one of: p"],
    ]


def test_resources_in_a_file_that_cannot_be_read_are_noted_where_modules_use_them(write: Write) -> None:
    # The unknown-resource error of each 'uses' key becomes one note; a resource the file does not
    # mention is still an error.
    files = {
        "net.yaml": "include: [resources.yaml]\npartners: [{id: p}]\nmodules:\n"
        "  - {id: m, partner: p, capability: c, uses: {crew: 1, van: 1}}\n",
        "resources.yaml": "resources:\n  - {id: crew, at_once: 2\n",
    }
    assert problems(write, files) == [
        "resources.yaml:2:5: error: invalid YAML: '{' is never closed "
        "(the parser gave up at 3:1: did not find expected ',' or '}')",
        "net.yaml:4:47: note: 1 resource ('crew') not found, not reported: "
        "resources.yaml, which could not be read, may declare it",
        "net.yaml:4:56: error: unknown resource 'van': the files read declare no resource",
    ]
