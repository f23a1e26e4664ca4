"""sbn.yamlread: safe YAML into plain data, every scalar as written, every problem at its line and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sbn.errors import InputError
from sbn.yamlread import NotPlain, Source, data_from_events, locate, parse, parse_leniently, read_data, read_source

BOMB = """\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def data_of(text: str) -> object:
    return parse(Source("a.yaml", text))[0]


def problems_of(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        parse(Source("a.yaml", text))
    return [diagnostic.render() for diagnostic in info.value.diagnostics]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Strings stay exactly as written: no YAML 1.1 booleans, octals, floats or dates.
        ("region: NO", {"region": "NO"}),
        ("id: 0012", {"id": "0012"}),
        ("a: yes\nb: off\nc: On\nd: y", {"a": "yes", "b": "off", "c": "On", "d": "y"}),
        (
            "a: 1.50\nb: 1e3\nc: 0x1F\nd: 2027-03-01\ne: 1_000",
            {"a": "1.50", "b": "1e3", "c": "0x1F", "d": "2027-03-01", "e": "1_000"},
        ),
        # Non-finite numbers are still text here; the models refuse them where a number is expected.
        ("a: .inf\nb: .NaN", {"a": ".inf", "b": ".NaN"}),
        # Plain nulls become None; quoted ones are text.
        ("a:\nb: ~\nc: null\nd: Null\ne: NULL", {"a": None, "b": None, "c": None, "d": None, "e": None}),
        ("a: 'null'\nb: ''\nc: \"~\"", {"a": "null", "b": "", "c": "~"}),
        # The standard scalar and collection tags are allowed and change nothing.
        ("a: !!str 12\nb: !!int 0012\nc: !!float .5\nd: !!null ~", {"a": "12", "b": "0012", "c": ".5", "d": None}),
        ("a: !!map {x: 1}\nb: !!seq [1]", {"a": {"x": "1"}, "b": ["1"]}),
        ("%YAML 1.1\n---\na: 1", {"a": "1"}),
        # Only a plain '<<' is a merge key.
        ("'<<': {a: 1}", {"<<": {"a": "1"}}),
        # Tabs inside values are text, not indentation.
        ('a: x\ty\nb: "\t"\nc: [1,\n\t2]', {"a": "x\ty", "b": "\t", "c": ["1", "2"]}),
        ("a: Café 東京 🚀", {"a": "Café 東京 🚀"}),
    ],
)
def test_scalars_stay_as_written(text: str, expected: object) -> None:
    assert data_of(text) == expected


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "--- # nothing\n...\n"])
def test_empty_document_is_none(text: str) -> None:
    assert data_of(text) is None


def test_anchor_and_alias_repeat_a_value() -> None:
    assert data_of("a: &certs [iso9001, vca]\nb: *certs") == {"a": ["iso9001", "vca"], "b": ["iso9001", "vca"]}


def test_merge_key_fills_in_what_the_mapping_does_not_say() -> None:
    text = "base: &base {partner: acme, capability: weld, cost: 10}\nmodule:\n  <<: *base\n  id: m2\n  cost: 12\n"
    assert data_of(text)["module"] == {  # type: ignore[index]
        "partner": "acme",
        "capability": "weld",
        "cost": "12",
        "id": "m2",
    }


def test_merge_list_earlier_mappings_win() -> None:
    text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n"
    assert data_of(text)["c"] == {"x": "1", "y": "1", "z": "3"}  # type: ignore[index]


def test_aliases_that_repeat_without_multiplying_are_fine() -> None:
    # 2,000 aliases of a 20-item list: 42,000 nodes, far below any bound.
    text = "x: &x [" + ", ".join(["c"] * 20) + "]\ny: [" + ", ".join(["*x"] * 2000) + "]\n"
    assert len(data_of(text)["y"]) == 2000  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Safe loading: a tag that would build a Python object is refused.
        (
            "a: !!python/object:os.system {}",
            [
                "a.yaml:1:4: error: tag 'tag:yaml.org,2002:python/object:os.system' is not allowed: "
                "sbn reads YAML safely, as plain data"
            ],
        ),
        (
            "a: !!python/object/apply:os.system [echo hi]",
            [
                "a.yaml:1:4: error: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed: "
                "sbn reads YAML safely, as plain data"
            ],
        ),
        # Safe loading: non-plain standard tags and local tags are refused too.
        (
            "a: !!set {x}\nb: !!binary aGk=\nc: !!timestamp 2027-01-01\nd: !custom x",
            [
                "a.yaml:1:4: error: tag 'tag:yaml.org,2002:set' is not allowed: sbn reads YAML safely, as plain data",
                "a.yaml:2:4: error: tag 'tag:yaml.org,2002:binary' is not allowed: "
                "sbn reads YAML safely, as plain data",
                "a.yaml:3:4: error: tag 'tag:yaml.org,2002:timestamp' is not allowed: "
                "sbn reads YAML safely, as plain data",
                "a.yaml:4:4: error: tag '!custom' is not allowed: sbn reads YAML safely, as plain data",
            ],
        ),
        # Duplicate keys: the second is reported, naming the line of the first.
        ("id: a\nname: x\nid: b", ["a.yaml:3:1: error: duplicate key 'id': already defined at line 1"]),
        # Duplicate keys: quoting does not make a key different.
        ("p:\n  id: a\n  'id': b", ["a.yaml:3:3: error: duplicate key 'id': already defined at line 2"]),
        # Duplicate keys: every one in the file, flow mappings included.
        (
            "a: {x: 1, x: 2}\nb: 1\nb: 2",
            [
                "a.yaml:1:11: error: duplicate key 'x': already defined at line 1",
                "a.yaml:3:1: error: duplicate key 'b': already defined at line 2",
            ],
        ),
        # Merge keys take mappings only.
        ("a:\n  <<: 5\n  b: 1", ["a.yaml:2:7: error: merge key '<<' takes a mapping or a list of mappings"]),
        # Mapping keys are plain strings.
        ("? [a]\n: 1", ["a.yaml:1:3: error: a mapping key must be a plain string, not a list or mapping"]),
        # Alias bombs ("billion laughs") fail at the first value that multiplies far beyond what is written.
        (
            BOMB,
            [
                "a.yaml:6:4: error: alias expansion too large: this value expands to 597,871 nodes from 22 written; "
                "anchors may repeat values, not multiply them"
            ],
        ),
        # A value may not contain itself.
        ("a: &a\n  - x\n  - *a", ["a.yaml:1:4: error: recursive alias: a value contains itself"]),
        ("a: &a {b: *a}", ["a.yaml:1:4: error: recursive alias: a value contains itself"]),
        # Aliases must name an anchor defined before, once.
        ("a: *nope", ["a.yaml:1:4: error: invalid YAML: found undefined alias"]),
        ("a: &x 1\nb: &x 2", ["a.yaml:2:4: error: invalid YAML: duplicate anchor: first at line 1"]),
        # Tabs never indent.
        (
            "partners:\n\t- id: a",
            ["a.yaml:2:1: error: invalid YAML: tab character: YAML is indented with spaces, never tabs"],
        ),
        (
            "a:\n  b: 1\n  \tc: 2",
            ["a.yaml:3:3: error: invalid YAML: tab character: YAML is indented with spaces, never tabs"],
        ),
        # One document per file.
        (
            "a: 1\n---\nb: 2",
            ["a.yaml:2:1: error: invalid YAML: expected a single document in the stream, but found another document"],
        ),
        # Syntax errors point where the mistake most likely is, and say where the parser gave up
        # (issue 16, defect 3). An unclosed bracket: where it opens.
        (
            "a: [1, 2\nb: 3",
            [
                "a.yaml:1:4: error: invalid YAML: '[' is never closed "
                "(the parser gave up at 2:2: did not find expected ',' or ']')"
            ],
        ),
        (
            "partners:\n  - {id: a, region: NL\n  - id: b\n",
            [
                "a.yaml:2:5: error: invalid YAML: '{' is never closed "
                "(the parser gave up at 3:7: did not find expected ',' or '}')"
            ],
        ),
        # closed by the wrong bracket, or only inside quotes or a comment: never closed
        (
            "network: {name: [split}\n",
            [
                "a.yaml:1:17: error: invalid YAML: '[' is never closed "
                "(the parser gave up at 1:23: did not find expected ',' or ']')"
            ],
        ),
        (
            "a: [x, \"]\", 'it''s ]' # ]\nb: 1\n",
            [
                "a.yaml:1:4: error: invalid YAML: '[' is never closed "
                "(the parser gave up at 2:1: did not find expected ',' or ']')"
            ],
        ),
        # a bracket that is closed: the mistake is inside, most often a missing comma
        (
            "a: {b: 1 c: 2}\n",
            [
                "a.yaml:1:11: error: invalid YAML: did not find expected ',' or '}' "
                "(in the mapping that starts at 1:4: is a ',' missing?)"
            ],
        ),
        # An unclosed quote: where it opens, whether it runs to the end or to the next quote.
        (
            'partners:\n  - id: "acme\n    region: NL\n',
            [
                "a.yaml:2:9: error: invalid YAML: '\"' is never closed "
                "(the parser gave up at 4:1: found unexpected end of stream)"
            ],
        ),
        (
            "a: 'it''s\nb: 1\n",
            [
                'a.yaml:1:4: error: invalid YAML: "\'" is never closed '
                "(the parser gave up at 3:1: found unexpected end of stream)"
            ],
        ),
        (
            'partners:\n  - id: "acme\n    region: NL\n  - id: "b"\n',
            [
                "a.yaml:2:9: error: invalid YAML: the '\"' opened here is closed only at 4:9, lines later: "
                "is a closing '\"' missing? (the parser gave up at 4:10: did not find expected key)"
            ],
        ),
        # a quoted value followed by more text on its line
        (
            'a: "x" y\n',
            [
                "a.yaml:1:8: error: invalid YAML: did not find expected key: "
                "text after the quoted value that ends at 1:6; quote all of it"
            ],
        ),
        # A key without ':': at the key.
        (
            "partners:\n  - id: acme\n    region NL\n    name: x\n",
            [
                "a.yaml:3:5: error: invalid YAML: no ':' after this key "
                "(the parser gave up at 4:5: could not find expected ':')"
            ],
        ),
        # Indentation that fits no list or mapping: at the line, naming the one it breaks.
        (
            "partners:\n  - id: acme\n  - id: bolt\n   region: NL\n",
            [
                "a.yaml:4:4: error: invalid YAML: did not find expected '-' indicator: "
                "check the indentation of this line against the list at 2:3"
            ],
        ),
        (
            "partners:\n  - id: a\n - id: b\n",
            [
                "a.yaml:3:2: error: invalid YAML: did not find expected key: "
                "check the indentation of this line against the mapping at 1:1"
            ],
        ),
        (
            "a: b: c",
            [
                "a.yaml:1:5: error: invalid YAML: mapping values are not allowed in this context "
                "(a line indented too far, or a value holding ': ' that needs quotes)"
            ],
        ),
        # Other errors keep libyaml's words.
        (
            'a: "x\\q"',
            ["a.yaml:1:6: error: invalid YAML: found unknown escape character (while parsing a quoted scalar)"],
        ),
        # Control characters are not YAML.
        ("a: x\x07", ["a.yaml:1:5: error: unacceptable character #x0007: control characters are not allowed"]),
    ],
)
def test_bad_yaml_is_reported_at_its_place(text: str, expected: list[str]) -> None:
    assert problems_of(text) == expected


def test_bomb_nested_in_a_list_is_reported_at_its_line() -> None:
    text = "partners:\n" + "".join(f"  - {line}\n" for line in BOMB.splitlines())
    assert problems_of(text) == [
        "a.yaml:7:8: error: alias expansion too large: this value expands to 597,871 nodes from 30 written; "
        "anchors may repeat values, not multiply them"
    ]


def test_parse_leniently_keeps_the_first_of_duplicate_keys() -> None:
    data, root, found = parse_leniently(Source("a.yaml", "id: a\nname: x\nid: b\nlist: [1]\n"))
    assert data == {"id": "a", "name": "x", "list": ["1"]}
    assert root is not None
    assert [d.render() for d in found] == ["a.yaml:3:1: error: duplicate key 'id': already defined at line 1"]


def test_parse_leniently_still_refuses_a_tag() -> None:
    with pytest.raises(InputError):
        parse_leniently(Source("a.yaml", "id: a\nid: b\nx: !!python/object:os.system {}\n"))


@pytest.fixture
def file_at(tmp_path: Path) -> Callable[[bytes], Path]:
    def make(raw: bytes) -> Path:
        path = tmp_path / "a.yaml"
        path.write_bytes(raw)
        return path

    return make


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # UTF-8 only: a bad byte is reported at its line and column (in characters).
        (
            b"partners:\n  - id: a\n    name: caf\xe9\n",
            "a.yaml:3:14: error: file is not UTF-8: byte 0xe9 cannot be decoded",
        ),
        ("name: 東京".encode() + b"\xff", "a.yaml:1:9: error: file is not UTF-8: byte 0xff cannot be decoded"),
        (b"\xef\xbb\xbfname: \xff", "a.yaml:1:7: error: file is not UTF-8: byte 0xff cannot be decoded"),
        # UTF-8 only: UTF-16 is not read.
        ("partners: []\n".encode("utf-16"), "a.yaml:1:1: error: file is not UTF-8: byte 0xff cannot be decoded"),
    ],
)
def test_read_source_rejects_what_is_not_utf8(file_at: Callable[[bytes], Path], raw: bytes, expected: str) -> None:
    with pytest.raises(InputError) as info:
        read_source(file_at(raw), "a.yaml")
    assert [d.render() for d in info.value.diagnostics] == [expected]


def test_read_source_drops_a_byte_order_mark(file_at: Callable[[bytes], Path]) -> None:
    source = read_source(file_at("\ufeffname: Café\n".encode()), "a.yaml")
    assert source == Source("a.yaml", "name: Café\n")
    assert data_of(source.text) == {"name": "Café"}


def test_read_source_reports_an_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_source(tmp_path, "dir")
    assert [d.render() for d in info.value.diagnostics] == [
        "dir:1:1: error: cannot read file: it is a directory, not a regular file"
    ]


LOCATED = """\
modules:
  - &base
    id: m1
    cost: {fixed: 1}
  - <<: *base
    id: m2
"""


@pytest.mark.parametrize(
    ("path", "at_key", "expected"),
    [
        (("modules",), False, (2, 3)),
        (("modules", 0, "id"), False, (3, 9)),
        (("modules", 0, "id"), True, (3, 5)),
        (("modules", 0, "cost", "fixed"), False, (4, 19)),
        # A key the mapping lacks is located at the mapping (a missing field at its parent).
        (("modules", 0, "capability"), False, (2, 5)),
        (("modules", 7), False, (2, 3)),
        # A key an item only has through a merge is located at the item's `<<`: the anchored text may
        # be shared by many items, and two problems at the anchor would read as one reported twice.
        (("modules", 1, "cost"), False, (5, 5)),
        (("modules", 1, "cost", "fixed"), False, (5, 5)),
        (("modules", 1, "id"), False, (6, 9)),
        ((), False, (1, 1)),
    ],
)
def test_locate_points_at_value_key_or_parent(
    path: tuple[str | int, ...], at_key: bool, expected: tuple[int, int]
) -> None:
    _, root = parse(Source("a.yaml", LOCATED))
    assert locate(root, path, at_key) == expected


def test_locate_in_an_empty_document_is_the_first_line() -> None:
    assert locate(None, ("partners", 0), False) == (1, 1)


# -- read_data: the data without the node tree ----------------------------------------------------


def outcome(read: Callable[[Source], tuple[object, list[object]]], text: str) -> str:
    """What a reader gives for ``text``, keys in order: its data and problems, or the error it raises."""
    try:
        return repr(read(Source("a.yaml", text)))
    except InputError as error:
        return "raises " + repr(error.diagnostics)


def by_nodes(source: Source) -> tuple[object, list[object]]:
    data, _, problems = parse_leniently(source)
    return data, list(problems)


EDGE_CASES = [
    "", "\n", "---\n", "--- # nothing\n...\n", "~", "a", "[a, ~, '']", "{a: 1}", "a:\n  - b: ~\n    c: ''\n",
    "~: 1\n'': 2\nnull: 3\n", "? [a]\n: b\n", "? {a: 1}\n: b\n", "a: 1\na: 2\n", "a: &x 1\nb: *x\n",
    "a: *x\n", "<<: {a: 1}\nb: 2\n", "'<<': {a: 1}\n", "a: !!str 1\n", "a: ! 1\n", "a: !!python/name:os x\n",
    "a: 1\n---\nb: 2\n", "a: [1,\n", "a: b: c\n", "\ta: 1\n", "a: |\n  text\n  more\n", "a: 'x'\nb: \"y\"\n",
    "%YAML 1.1\n---\na: 1\n", "[" * 600 + "]" * 600, "[" * 400 + "]" * 400, "a: \x07\n", "- - - a\n  - b\n",
    BOMB, LOCATED,
]  # fmt: skip


@pytest.mark.parametrize("text", EDGE_CASES)
def test_read_data_gives_what_the_node_tree_gives(text: str) -> None:
    assert outcome(read_data, text) == outcome(by_nodes, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab:-[]{},&*!<~'\" \n#?|>", max_size=40))
def test_read_data_gives_what_the_node_tree_gives_on_any_text(text: str) -> None:
    assert outcome(read_data, text) == outcome(by_nodes, text)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.text(max_size=5), st.integers()),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
        max_leaves=20,
    ),
    st.booleans(),
)
def test_read_data_gives_what_the_node_tree_gives_on_dumped_data(value: object, flow: bool) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    assert outcome(read_data, text) == outcome(by_nodes, text)


def test_plain_documents_are_read_from_events() -> None:
    text = "modules:\n  - id: m1\n    cost: {fixed: 1, per_unit: ~}\n    regions: ['*', '']\n"
    assert data_from_events(text) == {
        "modules": [{"id": "m1", "cost": {"fixed": "1", "per_unit": None}, "regions": ["*", ""]}]
    }


@pytest.mark.parametrize(
    "text", ["a: &x 1\n", "a: *x\n", "a: !!str 1\n", "<<: {a: 1}\n", "a: 1\na: 2\n", "? [a]\n: b\n"]
)
def test_documents_needing_the_node_tree_are_not_read_from_events(text: str) -> None:
    with pytest.raises(NotPlain):
        data_from_events(text)


def test_a_second_merge_key_in_one_mapping_is_a_duplicate_key() -> None:
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n"
    with pytest.raises(InputError) as raised:
        parse(Source("m.yaml", text))
    assert [d.render() for d in raised.value.diagnostics] == [
        "m.yaml:5:3: error: duplicate merge key '<<': already defined at line 4; "
        "merge several mappings with one: <<: [*first, *second]"
    ]
