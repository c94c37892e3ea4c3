"""The README's settings table is the operator's whole list: every environment variable
the code reads is in it (a new one fails here with its name), and the deploy recipe's
variables alone pass Django's deployment checks."""

import ast
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
APP = [ROOT / "config", ROOT / "grid", ROOT / "outreach", ROOT / "demo", ROOT / "manage.py"]
# Helpers of config/settings.py that read the variable named by their first argument.
ENV_READERS = {"env_bool", "env_list", "env_int", "getenv"}


def _name_read(node: ast.AST) -> str | None:
    """The variable an expression reads from the environment, if it is one that does:
    ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``, ``env_bool("X", …)``."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        reads = (
            isinstance(func, ast.Attribute) and func.attr == "get" and ast.unparse(func.value) == "os.environ"
        ) or ((func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) in ENV_READERS)
        return node.args[0].value if reads else None
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
        key = node.slice
        return key.value if isinstance(key, ast.Constant) else None
    return None


def variables_read(paths: list[Path]) -> set[str]:
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py")) if "migrations" not in f.parts]
    return {name for f in files for node in ast.walk(ast.parse(f.read_text(), str(f))) if (name := _name_read(node))}


def documented() -> set[str]:
    section = README.split("## Settings (environment variables)", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def test_the_scanner_sees_every_way_of_reading():
    assert variables_read([ROOT / "config" / "settings.py"]) >= {
        "DAIBAN_DEBUG",  # env_bool
        "DAIBAN_ALLOWED_HOSTS",  # env_list
        "DATABASE_URL",  # os.environ.get
        "DAIBAN_FIELD_KEY",
        "DAIBAN_RETAIN_AUDIT_DAYS",
    }


def test_every_variable_the_code_reads_is_in_the_readme_table():
    read = variables_read(APP) | {n for n in variables_read([ROOT / "tests"]) if n.startswith("DAIBAN_")}
    missing = sorted(read - documented())
    assert not missing, f"add these to the README's settings table: {missing}"


def test_the_readme_table_lists_nothing_the_code_does_not_read():
    stale = sorted(documented() - variables_read(APP + [ROOT / "tests"]))
    assert not stale, f"the README documents variables nothing reads: {stale}"


def test_the_deploy_recipe_passes_the_deployment_checks():
    """The variables exported in the README's deploy recipe, placeholders filled in,
    are enough for ``check --deploy`` (the database is not reached by the checks)."""
    recipe = README.split("## Deploying on PostgreSQL", 1)[1].split("```", 2)[1]
    exported = dict(re.findall(r"(\b[A-Z][A-Z0-9_]+)=('[^']*'|\S+)", recipe.split("export", 1)[1].split("\n.venv")[0]))
    assert {"DAIBAN_DEBUG", "DAIBAN_SECRET_KEY", "DAIBAN_FIELD_KEY", "DATABASE_URL"} <= set(exported)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAIBAN_", "DATABASE_URL", "DJANGO_ALLOW"))}
    for name, value in exported.items():
        env[name] = secrets.token_urlsafe(48) if "…" in value and "KEY" in name else value.strip("'")
    env["DATABASE_URL"] = "sqlite:///:memory:"  # the recipe's server is not here; the checks do not connect
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
