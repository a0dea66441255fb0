"""Nothing imports upward (issue 11): each module of ``indicators`` belongs to one layer, and
imports only from its own layer or the layers below it, lazy imports inside functions included.
The README's "What is in it" table shows the same layers in the same order."""

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "indicators"

# Top to bottom. A module's name is its file's stem, or its folder for packages.
LAYERS = [
    ("wiring", ["urls", "apps", "templatetags", "management"]),
    (
        "views",
        [
            "views",
            "export_views",
            "trend_views",
            "cite_views",
            "api",
            "api_tables",
            "api_urls",
            "openapi",
            "download_jobs",
            "image_views",
            "sitemaps",
            "admin",
            "admin_import",
            "admin_wide_import",
            "import_uploads",
            "import_jobs",
        ],
    ),
    ("pages", ["comparison", "trends", "pages"]),
    (
        "writes",
        [
            "writes",
            "importing",
            "import_files",
            "import_xlsx_scan",
            "import_ods",
            "import_limits",
            "import_plan",
            "import_results",
            "import_file_rules",
            "import_checks",
            "wide_import",
            "seed",
        ],
    ),
    ("input", ["params", "api_params", "forms", "wide_forms"]),
    (
        "charts and files",
        [
            "charts",
            "chart_narrow",
            "chart_trend",
            "chart_style",
            "chart_hover",
            "chart_page",
            "chart_static",
            "chart_exports",
            "exports",
            "pivot",
            "sdmx",
            "datapackage",
            "png",
            "svg_export",
            "browser",
        ],
    ),
    ("presentation", ["presenters", "flags", "formatting", "citations", "share"]),
    ("reads", ["selectors"]),
    ("cache", ["cache"]),
    ("data", ["models", "numbers", "calendars", "translation"]),
    ("text", ["text"]),
]
RANK = {module: rank for rank, (_layer, modules) in enumerate(LAYERS) for module in modules}
assert len(RANK) == sum(len(modules) for _layer, modules in LAYERS), "a module is named in two layers"
LAYER = {module: layer for layer, modules in LAYERS for module in modules}
MODEL_FILES = {path.stem for path in (APP / "models").glob("*.py")}


def app_modules():
    """(module name, file) for every Python file of the app but its migrations and __init__."""
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP)
        if relative.parts[0] == "migrations" or relative.name == "__init__.py" and len(relative.parts) == 1:
            continue
        yield (relative.parts[0] if len(relative.parts) > 1 else relative.stem), path


def imported_app_modules(source, package_depth=1):
    """(line, module) for every module of the app that the source imports, anywhere in it;
    ``package_depth`` is 1 for indicators/x.py, 2 for indicators/templatetags/x.py."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            relative_to_app = node.level == package_depth
            if node.level and not relative_to_app:
                continue  # within a package (templatetags, management): not another layer
            if relative_to_app or node.module == "indicators":
                names = [node.module.split(".")[0]] if node.module and relative_to_app else [a.name for a in node.names]
            elif node.module and node.module.startswith("indicators."):
                names = [node.module.split(".")[1]]
            else:
                continue
            yield from ((node.lineno, name) for name in names)
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, a.name.split(".")[1]) for a in node.names if a.name.startswith("indicators."))


def test_every_module_of_the_app_has_a_layer():
    assert [name for name, _path in app_modules() if name not in RANK] == []


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for name, path in app_modules():
        source = path.read_text(encoding="utf-8")
        for line, imported in imported_app_modules(source, len(path.relative_to(APP).parts)):
            if imported in RANK and RANK[imported] < RANK[name]:
                upward.append(
                    f"{path.relative_to(APP.parent)}:{line} ({LAYER[name]}) imports {imported} ({LAYER[imported]})"
                )
    assert upward == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from .views import x\n", [(1, "views")]),
        ("def f():\n    from . import api, cache\n", [(2, "api"), (2, "cache")]),
        ("from indicators.charts import compare_figure\n", [(1, "charts")]),
        ("import indicators.selectors\n", [(1, "selectors")]),
        ("from django import forms\nfrom countries.models import Area\n", []),
    ],
)
def test_the_import_reader_finds_every_kind_of_import_of_the_app(source, found):
    assert list(imported_app_modules(source)) == found


def test_the_import_reader_tells_a_packages_own_modules_from_the_apps():
    source = "from .smedash import x\nfrom ..views import y\n"
    assert list(imported_app_modules(source, package_depth=2)) == [(2, "views")]


def test_countries_imports_nothing_from_indicators():
    countries = APP.parent / "countries"
    found = []
    for path in sorted(countries.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] == "indicators"]
    assert found == []


def test_the_readme_shows_these_layers_and_modules_in_this_order():
    readme = (APP.parent / "README.md").read_text(encoding="utf-8")
    lines = readme[readme.index("| layer | modules | job |") :].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        _empty, layer, modules, *_job = line.split("|")
        # The row's own modules: `x.py`, or `models/`; the files of models/ are not layers.
        named = re.findall(r"`([a-z_]+)(?:\.py|/)`", modules)
        rows.append((layer.strip(), sorted(n for n in named if n not in MODEL_FILES)))
    assert rows == [(layer, sorted(modules)) for layer, modules in LAYERS[1:]]
