"""The layout rules of STYLE.md, checked on the source: features are packages, a view
never imports another view, `common` imports no feature and `grid` never imports
`outreach`. A change that breaks one fails here with the file and the import."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTREACH = ROOT / "outreach"
# What `outreach` holds besides its feature packages: the app's own modules.
APP_MODULES = {"__init__.py", "admin.py", "apps.py", "urls.py"}
APP_PACKAGES = {"management", "migrations", "models"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, also inside functions (``from a import b`` counts
    both ``a`` and ``a.b``: b may be a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def sources(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def test_outreach_lists_packages_not_prefixes():
    entries = {p.name for p in OUTREACH.iterdir() if p.name != "__pycache__"}
    modules = {name for name in entries if name.endswith(".py")}
    assert modules == APP_MODULES, "a feature's module belongs in its package"
    packages = entries - modules
    assert {"common", "photos", "residents", "errands", "complaints", "branches", "reporting", "offline"} <= packages
    for package in packages - APP_PACKAGES:
        assert (OUTREACH / package / "__init__.py").exists(), package


def test_no_view_imports_another_view():
    offenders = {
        str(view.relative_to(ROOT)): others
        for view in sources(OUTREACH) + sources(ROOT / "grid")
        if view.name == "views.py"
        and (
            others := {
                m for m in imported_modules(view) if m.startswith(("outreach.", "grid.")) and m.endswith(".views")
            }
        )
    }
    assert not offenders, "move what a view needs from another view to selectors or common"


def test_common_imports_no_feature():
    offenders = {
        str(module.relative_to(ROOT)): features
        for module in sources(OUTREACH / "common")
        if (
            features := {
                m
                for m in imported_modules(module)
                if m.startswith("outreach.") and not m.startswith(("outreach.common", "outreach.models"))
            }
        )
    }
    assert not offenders


def test_grid_never_imports_outreach():
    offenders = {
        str(module.relative_to(ROOT)): outreach
        for module in sources(ROOT / "grid")
        if (outreach := {m for m in imported_modules(module) if m == "outreach" or m.startswith("outreach.")})
    }
    assert not offenders


def test_forms_do_not_live_in_views():
    offenders = {}
    for module in sources(OUTREACH) + sources(ROOT / "grid"):
        if module.name != "views.py":
            continue
        forms = [
            node.name
            for node in ast.parse(module.read_text()).body
            if isinstance(node, ast.ClassDef)
            and any(isinstance(base, ast.Attribute) and base.attr in {"Form", "ModelForm"} for base in node.bases)
        ]
        if forms:
            offenders[str(module.relative_to(ROOT))] = forms
    assert not offenders, "forms belong in the package's forms.py"
