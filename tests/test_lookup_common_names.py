"""A name defined in many files (``setup``, ``run``) is looked for only in the files this one
imports and in its own folder, found through the index's per-folder grouping, in the index's
order, and the grouping follows edits."""

from __future__ import annotations

from pathlib import Path

from goldcrest.workspace.index import FileRecord
from goldcrest.workspace.lookup import _COMMON, Request
from index_support import indexed_at

FILES = {
    **{f"plugins/p{n:02d}.py": f"def setup():\n    return {n}\n" for n in range(_COMMON + 5)},
    "app/helpers.py": "def setup():\n    return 'helpers'\n",
    "app/other.py": "def setup():\n    return 'other'\n",
    "lib/extra.py": "def setup():\n    return 'extra'\n",
    "lib/unrelated.py": "def setup():\n    return 'unrelated'\n",
}
MAIN = "from lib import extra\n\n\ndef main():\n    setup\n"


async def test_a_common_name_is_found_beside_the_file_and_in_its_imports(tmp_path: Path):
    async with indexed_at(tmp_path, FILES, "app/main.py", MAIN) as (ws, doc):
        request = Request(ws, doc, len(MAIN) - 1, str(Path(doc.uri[7:])), [doc])
        assert ws.index.count("setup") > _COMMON
        found = [request.where(path) for _, path in request.located("setup")]
        order = [request.where(ws.index.path_of(row[4])) for row in ws.index._by_name["setup"]]
        expected = ["app/helpers.py", "app/other.py", "lib/extra.py"]
        assert found == [w for w in order if w in expected]  # the index's order
        assert sorted(found) == expected
        # an edit that removes one is seen: the grouping is made again
        helpers = ws.index.files[str(ws.roots[0] / "app/helpers.py")]
        ws.index.add(
            FileRecord(str(ws.roots[0] / "app/helpers.py"), helpers._replace(definitions=()), ())
        )
        again = Request(ws, doc, len(MAIN) - 1, str(Path(doc.uri[7:])), [doc])
        assert sorted(again.where(path) for _, path in again.located("setup")) == [
            "app/other.py",
            "lib/extra.py",
        ]


def _grouped_afresh(index, name: str, folders: list[str]) -> list[tuple[str, str]]:
    index._by_dir.pop(name, None)
    return [(folder, path) for folder, path, _ in index.in_directories(name, folders)]


async def test_the_grouping_follows_edits_without_being_made_again(tmp_path: Path):
    """Files changed, added and emptied after the grouping was made: what it answers is what
    a grouping made afresh answers, in the index's order, and it was not made again."""
    async with indexed_at(tmp_path, FILES, "app/main.py", MAIN) as (ws, _):
        index, root = ws.index, ws.roots[0].as_posix()
        folders = [f"{root}/app", f"{root}/lib", f"{root}/plugins"]
        index.in_directories("setup", folders)
        grouping = index._by_dir["setup"]
        template = index.files[f"{root}/app/other.py"]
        row = template.definitions[0]

        def put(relative: str, count: int) -> None:
            uri = f"file://{root}/{relative}"
            rows = tuple((*row[:4], uri, 3 * n, 3 * n + 1, *row[7:]) for n in range(count))
            entry = template._replace(uri=uri, definitions=rows, chunk_ids=())
            index.add(FileRecord(f"{root}/{relative}", entry, ()))

        put("app/helpers.py", 0)  # emptied
        put("plugins/p03.py", 2)  # changed: now two
        put("app/zeta.py", 1)  # a new file
        put("app/helpers.py", 1)  # back, now last in the index's order
        index.remove(f"{root}/lib/unrelated.py")
        assert index._by_dir["setup"] is grouping  # kept in step, not made again
        kept = [(f, p) for f, p, _ in index.in_directories("setup", folders)]
        assert kept == _grouped_afresh(index, "setup", folders)
        assert [p.rsplit("/", 1)[1] for f, p in kept if f.endswith("app")] == [
            "other.py",
            "zeta.py",
            "helpers.py",
        ]
        assert sum(p.endswith("p03.py") for _, p in kept) == 2


async def test_a_names_kept_definitions_follow_edits(tmp_path: Path):
    """``located`` keeps a name's objects across requests: an unrelated edit keeps them, and
    an edit to a file defining the name (changed, added, removed) is seen, in the index's
    order, as a lookup made afresh sees it."""
    files = {"app/a.py": "def tool():\n    pass\n", "lib/b.py": "def tool(x):\n    pass\n"}
    async with indexed_at(tmp_path, files, "app/main.py", MAIN) as (ws, _):
        index, root = ws.index, ws.roots[0].as_posix()
        template = index.files[f"{root}/app/a.py"]

        def put(relative: str, count: int) -> None:
            uri = f"file://{root}/{relative}"
            rows = tuple((*template.definitions[0][:4], uri, 3 * n, 3 * n + 1,
                          *template.definitions[0][7:]) for n in range(count))  # fmt: skip
            entry = template._replace(uri=uri, definitions=rows)
            index.add(FileRecord(f"{root}/{relative}", entry, ()))

        def afresh() -> list[tuple[str, int]]:
            index._located.clear()
            return [(path, d.start_line) for d, path in index.located("tool")]

        kept = index.located("tool")
        put("other/unrelated.py", 0)
        assert index.located("tool") is kept  # nothing of ``tool`` changed
        for change in (lambda: put("lib/b.py", 2), lambda: put("app/new.py", 1),
                       lambda: index.remove(f"{root}/app/a.py")):  # fmt: skip
            change()
            now = [(path, d.start_line) for d, path in index.located("tool")]
            assert now == afresh()
        assert [(p.removeprefix(root + "/"), line) for p, line in now] == [
            ("lib/b.py", 0),
            ("lib/b.py", 3),
            ("app/new.py", 0),
        ]
