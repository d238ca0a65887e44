"""Every query example in the README and on the home page finds something on samples/."""

import re
import shutil
from pathlib import Path

import pytest

from search.engine import Engine
from search.ingest.indexer import reindex
from web.i18n import STRINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_examples() -> list[str]:
    """The first column of the query syntax table, and the forgiving queries after it."""
    section = README.split("## Query syntax", 1)[1].split("\n## ", 1)[0]
    table = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    forgiving = re.findall(r"`([^`]+)`", section[section.index("The query's language"):])
    assert table and forgiving, "the README's query syntax section moved: update this test"
    return table + forgiving


def home_examples() -> list[str]:
    out = []
    for strings in STRINGS.values():
        out += [q for q, _ in strings["help"]]
        out.append(strings["placeholder"].split(":", 1)[1].strip())  # "Наприклад: вибори …"
    return out


EXAMPLES = list(dict.fromkeys(readme_examples() + home_examples()))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo corpus `make run` indexes: samples/."""
    src = tmp_path_factory.mktemp("samples")
    shutil.copytree(ROOT / "samples", src, dirs_exist_ok=True)
    index_dir = tmp_path_factory.mktemp("demo_index")
    reindex(index_dir, [src])
    eng = Engine(index_dir)
    yield eng
    eng.close()


def test_examples_are_collected():
    assert '"державний бюджет"' in EXAMPLES and "cgsdghfwz" in EXAMPLES
    assert "сотрудничество регионов" in EXAMPLES and "вибори у Києві" in EXAMPLES


@pytest.mark.slow
@pytest.mark.parametrize("q", EXAMPLES)
def test_every_example_finds_something(demo, q):
    assert demo.search(q).total > 0, f"{q!r} finds nothing on samples/"
