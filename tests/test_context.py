"""Context from tree-sitter: definitions per language, enclosing scopes, names used nearby."""

from __future__ import annotations

from goldcrest.context.scope import (
    _REACH,
    definitions_of,
    enclosing_block_range,
    enclosing_scopes,
    identifiers_near,
    used_definitions,
)
from goldcrest.context.symbols import extract_definitions
from goldcrest.documents import Document
from goldcrest.languages import language_for

SAMPLES = {
    "config.py": '''import os

DEFAULT_PATH: str = "~/.config"


@dataclass
class Cache(Base):
    """Keeps loaded configs.

    More text."""

    size = 3

    @property
    async def get(self, key: str) -> int:  # trailing comment
        return 1


def load(
    path: str,
    *,
    strict: bool = False,
) -> Config:
    """Load a config."""
    def inner():
        pass
''',
    "app.js": """/**
 * Starts the app.
 */
export async function start(port) { return listen(port); }
export class Server extends Base {
  handle(req, res) { }
  onClose = () => {};
}
const double = (x) => x * 2, limit = 10;
""",
    "shapes.ts": """export interface Shape { area(): number; }
export type Id = string | number;
export class Circle implements Shape {
  constructor(private r: number) {}
  area(): number { return 3.14 * this.r ** 2; }
}
export const unit = (n: number): Circle => new Circle(n);
enum Color { Red }
""",
    "parse.go": """package parse

// Parse reads one node.
// It never panics.
func Parse(s string) (*Node, error) { return nil, nil }

func (p *Parser) Next() Token { return p.tok }

type Node struct { Name string }

type (
	Reader interface { Read() int }
	ID = string
)

var Version, Build = "1", "2"
""",
    "geo.rs": """/// A point in the plane.
#[derive(Debug)]
pub struct Point { x: i32 }
pub trait Area { fn area(&self) -> f64; }
impl Area for Point {
    fn area(&self) -> f64 { 0.0 }
}
impl<T> Wrapper<T> { pub fn new(x: T) -> Self { Wrapper(x) } }
pub fn add(a: i32, b: i32) -> i32 { a + b }
enum Shape { Circle }
const MAX: u32 = 3;
""",
    "Shape.java": """package geo;
/** A shape with an area. */
public class Shape extends Base implements Measured {
    public Shape(int sides) { this.sides = sides; }
    @Override
    public static int area(int a, int b) throws GeoException { return a * b; }
    interface Visitor { void visit(Shape s); }
}
""",
    "point.h": """#ifndef POINT_H
#define POINT_H
/* A point. */
struct point { int x; int y; };
typedef struct { int w; } size;
int point_add(struct point *a,
              const struct point *b);
static int *lookup(int key) { return 0; }
#endif
""",
    "cache.cpp": """namespace store {
class Cache : public Base {
 public:
  int get(int key) const;
  void put(int key) { }
};
int Cache::get(int key) const { return key; }
template <typename T> T largest(T a, T b) { return a; }
}
""",
}


def make(name: str, text: str, version: int = 1) -> Document:
    uri = f"file:///project/{name}"
    return Document(uri, language_for(None, uri), version, text)


def at(text: str) -> tuple[str, int]:
    """Text without the ``|`` cursor marker, and the cursor's offset."""
    return text.replace("|", "", 1), text.index("|")


def summary(doc: Document) -> list[tuple[str, str, str | None, str]]:
    assert doc.tree is not None
    found = extract_definitions(doc.tree, doc.text, doc.language, doc.uri)
    return [(d.kind, d.name, d.container, d.signature) for d in found]


# -- extract_definitions, one sample per language --------------------------------------------


def test_python_definitions() -> None:
    doc = make("config.py", SAMPLES["config.py"])
    assert summary(doc) == [
        ("variable", "DEFAULT_PATH", None, 'DEFAULT_PATH: str = "~/.config"'),
        ("class", "Cache", None, "class Cache(Base):"),
        ("method", "get", "Cache", "async def get(self, key: str) -> int:"),
        ("function", "load", None, "def load(path: str, *, strict: bool = False) -> Config:"),
    ]
    definitions = extract_definitions(doc.tree, doc.source, doc.language, doc.uri)
    cache, load = definitions[1], definitions[3]
    assert cache.docstring == "Keeps loaded configs."
    assert load.docstring == "Load a config."
    assert (cache.start_line, cache.end_line) == (6, 15)
    assert load.uri == "file:///project/config.py"


def test_javascript_definitions() -> None:
    doc = make("app.js", SAMPLES["app.js"])
    assert summary(doc) == [
        ("function", "start", None, "async function start(port)"),
        ("class", "Server", None, "class Server extends Base"),
        ("method", "handle", "Server", "handle(req, res)"),
        ("method", "onClose", "Server", "onClose = () =>"),
        ("function", "double", None, "const double = (x) =>"),
        ("variable", "limit", None, "const double = (x) => x * 2, limit = 10"),
    ]
    assert definitions_of(doc)[0].docstring == "Starts the app."


def test_commonjs_and_prototype_definitions() -> None:
    """CommonJS and prototype-style code declares its API by assignment (express, most older
    Node code): the index must see those names, and a cursor inside one is in that function."""
    text = (
        "var Layer = require('./layer');\n"
        "var proto = module.exports = function(options) {};\n"
        "/** Match a path. */\n"
        "Layer.prototype.match = function match(path) {\n  return path;\n};\n"
        "proto.use = function use(fn) {};\n"
        "exports.isAbsolute = (path) => path[0] === '/';\n"
        "module.exports.etag = createETag({ weak: false });\n"
        "module.exports = function query(options) {};\n"
        "this.skip = function () {};\n"
        "proto[name] = function () {};\n"
        "exports.count = 3;\n"
    )
    doc = make("router.js", text)
    assert summary(doc) == [
        ("variable", "Layer", None, "var Layer = require('./layer')"),
        ("function", "proto", None, "var proto = module.exports = function(options)"),
        ("method", "match", "Layer", "Layer.prototype.match = function match(path)"),
        ("method", "use", "proto", "proto.use = function use(fn)"),
        ("function", "isAbsolute", None, "exports.isAbsolute = (path) =>"),
        ("variable", "etag", None, "module.exports.etag = createETag({ weak: false })"),
        ("function", "query", None, "module.exports = function query(options)"),
        ("variable", "count", None, "exports.count = 3"),
    ]
    assert definitions_of(doc)[2].docstring == "Match a path."
    text, offset = at(text.replace("return path;", "return |path;"))
    scopes = enclosing_scopes(make("router.js", text), offset)
    assert [(s.kind, s.name) for s in scopes] == [("method", "match")]


def test_typescript_definitions() -> None:
    doc = make("shapes.ts", SAMPLES["shapes.ts"])
    assert summary(doc) == [
        ("type", "Shape", None, "interface Shape"),
        ("method", "area", "Shape", "area(): number"),
        ("type", "Id", None, "type Id = string | number"),
        ("class", "Circle", None, "class Circle implements Shape"),
        ("method", "constructor", "Circle", "constructor(private r: number)"),
        ("method", "area", "Circle", "area(): number"),
        ("function", "unit", None, "const unit = (n: number): Circle =>"),
        ("type", "Color", None, "enum Color"),
    ]


def test_tsx_file_uses_the_tsx_grammar() -> None:
    doc = make("view.tsx", "export function View() { return <div>hi</div>; }\n")
    assert doc.language.parser_name == "tsx"
    assert summary(doc) == [("function", "View", None, "function View()")]


def test_go_definitions() -> None:
    doc = make("parse.go", SAMPLES["parse.go"])
    assert summary(doc) == [
        ("function", "Parse", None, "func Parse(s string) (*Node, error)"),
        ("method", "Next", "Parser", "func (p *Parser) Next() Token"),
        ("class", "Node", None, "type Node struct"),
        ("type", "Reader", None, "type Reader interface"),
        ("type", "ID", None, "type ID = string"),
        ("variable", "Version", None, 'var Version, Build = "1", "2"'),
        ("variable", "Build", None, 'var Version, Build = "1", "2"'),
    ]
    assert definitions_of(doc)[0].docstring == "Parse reads one node."


def test_rust_definitions() -> None:
    doc = make("geo.rs", SAMPLES["geo.rs"])
    assert summary(doc) == [
        ("class", "Point", None, "pub struct Point"),
        ("type", "Area", None, "pub trait Area"),
        ("method", "area", "Area", "fn area(&self) -> f64"),
        ("method", "area", "Point", "fn area(&self) -> f64"),
        ("method", "new", "Wrapper", "pub fn new(x: T) -> Self"),
        ("function", "add", None, "pub fn add(a: i32, b: i32) -> i32"),
        ("class", "Shape", None, "enum Shape"),
        ("variable", "MAX", None, "const MAX: u32 = 3"),
    ]
    assert definitions_of(doc)[0].docstring == "A point in the plane."


def test_java_definitions() -> None:
    doc = make("Shape.java", SAMPLES["Shape.java"])
    assert summary(doc) == [
        ("class", "Shape", None, "public class Shape extends Base implements Measured"),
        ("method", "Shape", "Shape", "public Shape(int sides)"),
        (
            "method",
            "area",
            "Shape",
            "@Override public static int area(int a, int b) throws GeoException",
        ),
        ("type", "Visitor", "Shape", "interface Visitor"),
        ("method", "visit", "Visitor", "void visit(Shape s)"),
    ]
    assert definitions_of(doc)[0].docstring == "A shape with an area."


def test_c_definitions() -> None:
    doc = make("point.h", SAMPLES["point.h"])
    assert summary(doc) == [
        ("class", "point", None, "struct point"),
        ("type", "size", None, "typedef struct { int w; } size"),
        ("function", "point_add", None, "int point_add(struct point *a, const struct point *b)"),
        ("function", "lookup", None, "static int *lookup(int key)"),
    ]
    assert definitions_of(doc)[0].docstring == "A point."


def test_cpp_definitions() -> None:
    doc = make("cache.cpp", SAMPLES["cache.cpp"])
    assert summary(doc) == [
        ("class", "Cache", None, "class Cache : public Base"),
        ("method", "get", "Cache", "int get(int key) const"),
        ("method", "put", "Cache", "void put(int key)"),
        ("method", "get", "Cache", "int Cache::get(int key) const"),
        ("function", "largest", None, "T largest(T a, T b)"),
    ]


def test_long_signatures_are_cut_and_broken_code_survives() -> None:
    params = ", ".join(f"argument_{i}: int" for i in range(30))
    doc = make("broken.py", f"def wide({params}) -> None:\n    pass\n\nclass Half(\n    def")
    found = summary(doc)
    assert found[0][1] == "wide"
    assert len(found[0][3]) == 200 and found[0][3].endswith("…")


def test_every_prefix_of_every_sample_is_handled() -> None:
    """Half-typed files must never raise: try each sample cut at many points."""
    for name, text in SAMPLES.items():
        for cut in range(0, len(text), 7):
            doc = make(name, text[:cut])
            definitions_of(doc)
            used_definitions(doc, cut, [doc])
            assert enclosing_block_range(doc, cut)[1] >= cut


def test_unknown_language_has_no_definitions() -> None:
    doc = make("notes.txt", "def looks_like_python(): pass\n")
    assert doc.tree is None
    assert definitions_of(doc) == []


# -- scopes ----------------------------------------------------------------------------------

NESTED = """class Outer:
    class Inner:
        def method(self, x):
            y = helper(x)
            return y|

    def other(self):
        pass
"""


def test_enclosing_scopes_nested_class_and_method() -> None:
    text, offset = at(NESTED)
    doc = make("nested.py", text)
    scopes = enclosing_scopes(doc, offset)
    assert [(s.kind, s.name, s.header) for s in scopes] == [
        ("method", "method", "def method(self, x):"),
        ("class", "Inner", "class Inner:"),
        ("class", "Outer", "class Outer:"),
    ]
    assert text[scopes[0].start :].startswith("def method")
    assert enclosing_block_range(doc, offset) == (scopes[0].start, scopes[0].end)


def test_python_blank_line_belongs_to_the_block_it_is_indented_under() -> None:
    text = "class A:\n    def m(self):\n        return 1\n"
    for line, expected in [
        ("        ", ["m", "A"]),
        ("    ", ["A"]),
        ("", []),
    ]:
        doc = make("a.py", text + line)
        names = [s.name for s in enclosing_scopes(doc, len(doc.text))]
        assert names == expected, repr(line)


def test_brace_scope_ends_at_its_closing_brace() -> None:
    text = "package main\n\nfunc f() {\n\treturn\n}\n\n"
    doc = make("f.go", text)
    assert [s.name for s in enclosing_scopes(doc, text.index("return"))] == ["f"]
    assert enclosing_scopes(doc, text.index("}")) != []
    assert enclosing_scopes(doc, len(text)) == []
    assert enclosing_block_range(doc, len(text)) == (0, len(text))


def test_scopes_found_in_half_typed_code() -> None:
    text, offset = at("class A {\n  void m() {\n    int x = foo.|\n  }\n}\n")
    doc = make("A.java", text)
    assert [(s.kind, s.name) for s in enclosing_scopes(doc, offset)] == [
        ("method", "m"),
        ("class", "A"),
    ]


def test_half_typed_code_is_parsed_again_once_per_text_and_cursor(monkeypatch) -> None:
    """The prompt, retrieval, the line's facts and the answer's check each ask for the scopes;
    a line that breaks the parse costs one more parse per text and cursor, not one per asker."""
    text, offset = at("class A {\n  void m() {\n    int x = foo.|\n  }\n}\n")
    doc = make("A.java", text)
    parses = []
    parse_ranges = Document.parse_ranges
    monkeypatch.setattr(
        Document, "parse_ranges", lambda self, *a: parses.append(1) or parse_ranges(self, *a)
    )
    first = enclosing_scopes(doc, offset)
    assert [s.name for s in first] == ["m", "A"] and len(parses) == 1
    first.clear()  # a caller's list is its own
    assert [s.name for s in enclosing_scopes(doc, offset)] == ["m", "A"] and len(parses) == 1
    enclosing_scopes(doc, offset - 1)
    assert len(parses) == 2  # another cursor
    doc.apply_change((2, 8), (2, 9), "y")  # ``int y = foo.``: still broken
    assert [s.name for s in enclosing_scopes(doc, offset)] == ["m", "A"]
    assert len(parses) == 3  # another text


def test_rust_impl_and_arrow_function_scopes() -> None:
    text, offset = at("impl Stack {\n    pub fn push(&mut self, v: i32) {\n        |\n    }\n}\n")
    scopes = enclosing_scopes(make("s.rs", text), offset)
    assert [(s.kind, s.name, s.header) for s in scopes] == [
        ("method", "push", "pub fn push(&mut self, v: i32)"),
        ("impl", "Stack", "impl Stack"),
    ]
    text, offset = at("const run = async (job) => {\n  await job.start(|);\n};\n")
    scopes = enclosing_scopes(make("r.js", text), offset)
    assert [(s.kind, s.name, s.header) for s in scopes] == [
        ("function", "run", "const run = async (job) =>")
    ]


# -- names used near the cursor --------------------------------------------------------------


def test_identifiers_near_are_nearest_first_and_skip_keywords() -> None:
    text, offset = at(
        "def far_away():\n    pass\n\ndef work(items):\n    total = count(items)\n    |\n"
        "    print(total)\n"
    )
    names = identifiers_near(make("w.py", text), offset)
    assert names[:3] == ["items", "total", "count"]  # by characters between name and cursor
    assert "far_away" not in names  # outside the enclosing function
    assert "print" not in names  # a keyword token in the Python grammar


def test_identifiers_near_without_a_grammar_uses_a_line_window() -> None:
    text = "".join(f"name_{i} = {i}\n" for i in range(100))
    doc = make("data.txt", text)
    offset = doc.offset_at(50, 0)
    names = identifiers_near(doc, offset, lines_before=2, lines_after=1)
    assert names == ["name_50", "name_49", "name_51", "name_48"]


def test_the_nearest_names_of_a_long_function_are_those_a_full_scan_ranks_first() -> None:
    """With a limit the scan starts around the cursor and widens: the same names, in the same
    order, as the head of the whole function's list, whether or not the window is widened
    (and in text without a grammar, where a word must not be cut at the window's edge), up to
    ``_REACH`` bytes either side."""
    python = "    value_{i} = helper_{j}(value_{k}, shared_{m})\n"
    javascript = "  const value_{i} = helper_{j}(value_{k}, obj.field_{m});\n"
    for filename, line, span in (
        ("long.py", python, {}),
        ("long.js", javascript, {}),
        ("long.txt", python, {"lines_before": 500, "lines_after": 500}),
    ):
        body = "".join(line.format(i=i, j=i % 7, k=max(i - 1, 0), m=i % 3) for i in range(400))
        if filename.endswith(".js"):
            text = "function work(arg) {\n" + body + "  return arg;\n}\n"
        else:
            text = "def work(arg):\n" + body + "    return arg\n"
        doc = make(filename, text)
        for line_number in (1, 5, 200, 399):
            for column in (6, 8):  # 8: inside the word ``value_...``
                offset = doc.offset_at(line_number, column)
                full = identifiers_near(doc, offset, **span)
                assert len(full) > 400
                for limit in (1, 10, 40, 500, 2000):
                    limited = identifiers_near(doc, offset, **span, limit=limit)
                    where = (filename, line_number, column, limit)
                    assert limited == full[: len(limited)], where
                    assert len(limited) == limit if limit <= 40 else len(limited) <= limit, where


def test_a_limited_scan_of_names_stops_at_its_reach() -> None:
    """A name used only farther than ``_REACH`` bytes from the cursor is not near it: the
    limited scan (retrieval's) leaves it out; the whole function's list has it."""
    filler = "    total = total + step\n" * (_REACH // 20)
    text = "def work(step):\n    far_away_name = 1\n" + filler + "    total = st\n" + filler
    doc = make("far.py", text)
    offset = text.index("total = st\n") + len("total = st")
    assert "far_away_name" in identifiers_near(doc, offset)
    near = identifiers_near(doc, offset, limit=40)
    assert "far_away_name" not in near and near[:2] == ["st", "total"]


def test_used_definitions_across_open_documents() -> None:
    helpers = make(
        "helpers.py",
        'def parse_header(raw: bytes) -> dict:\n    """Split a header."""\n    return {}\n\n'
        "def unused():\n    pass\n",
    )
    other_go = make("main.go", "package main\n\nfunc parse_header() {}\n")
    text, offset = at(
        "class Reader:\n    def read(self, raw):\n        header = parse_header(raw)\n"
        "        return self.decode(header)|\n\n"
        "    def decode(self, header):\n        return header\n"
    )
    doc = make("reader.py", text)
    found = used_definitions(doc, offset, [helpers, other_go, doc])
    assert [(d.name, d.uri.rsplit("/", 1)[1]) for d in found] == [
        ("decode", "reader.py"),
        ("parse_header", "helpers.py"),
        ("parse_header", "main.go"),
    ]
    assert found[1].signature == "def parse_header(raw: bytes) -> dict:"
    assert found[1].docstring == "Split a header."
    assert all(d.name not in ("read", "Reader", "unused") for d in found)
    assert len(used_definitions(doc, offset, [helpers, other_go], limit=1)) == 1


def test_definitions_are_cached_until_the_text_changes() -> None:
    doc = make("c.py", "def a():\n    pass\n")
    first = definitions_of(doc)
    assert definitions_of(doc) is first
    doc.apply_changes(2, [((0, 4), (0, 5), "b")])
    assert [d.name for d in definitions_of(doc)] == ["b"]
