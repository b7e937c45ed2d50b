"""The README keeps up with the code: every layer field and theme is documented."""

from atlas.schema import FIELD_NAMES, THEMES
from atlas.settings import REPO_DIR

README = (REPO_DIR / "README.md").read_text(encoding="utf-8")


def test_every_layer_field_is_in_the_readme_table():
    missing = [f for f in FIELD_NAMES if f"| `{f}` |" not in README]
    assert not missing, f"document these fields in README.md: {missing}"


def test_every_theme_is_named_in_the_readme():
    missing = [t for t in THEMES if t not in README]
    assert not missing, f"name these themes in README.md: {missing}"


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README
