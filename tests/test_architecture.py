"""The import drawing of DESIGN.md §1: the kernel (`mlgov/`) imports no app,
an app imports only the apps above it, and the pure engines have no cycle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Top to bottom: an app may import only the apps before it.
LAYERS = (
    "registry",
    "drift",
    "governance",
    "deployments",
    "compliance",
    "integrations",
    "command_center",
)
# Kernel modules allowed to import an app: none (the demo registers its steps
# from the apps' AppConfig.ready()).
KERNEL_ALLOWED: set[str] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(path: Path) -> set[str]:
    """Every module imported at module level, TYPE_CHECKING blocks included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If | ast.Try):
            nodes.extend(node.body)
            nodes.extend(getattr(node, "orelse", []))
    return found


def sources(package: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_the_kernel_imports_no_app():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in module_imports(path) if name.split(".")[0] in LAYERS
        )
        for path in sources("mlgov")
        if str(path.relative_to(ROOT)) not in KERNEL_ALLOWED
    }

    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_above_it(app):
    below = set(LAYERS[LAYERS.index(app) + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in module_imports(path) if name.split(".")[0] in below
        )
        for path in sources(app)
    }

    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize(
    "package", ["governance/engine", "drift/stats", "drift/quality"]
)
def test_a_pure_engine_has_no_import_cycle(package):
    paths = sources(package)
    modules = {module_name(path): path for path in paths}
    graph = {
        name: {imported for imported in module_imports(path) if imported in modules}
        - {name}
        for name, path in modules.items()
    }
    package_name = package.replace("/", ".")
    # The package's __init__ re-exports its modules; it is not part of a cycle.
    graph = {
        name: targets - {package_name}
        for name, targets in graph.items()
        if name != package_name
    }
    cycles = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        for target in graph.get(name, ()):
            if target in trail:
                cycles.append((*trail[trail.index(target) :], target))
            elif len(trail) < len(graph):
                visit(target, (*trail, target))

    for start in graph:
        visit(start, (start,))

    assert cycles == []


@pytest.mark.parametrize("package", ["mlgov", *LAYERS])
def test_no_module_imports_a_private_name_from_another(package):
    offenders = []
    for path in sources(package):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                offenders.extend(
                    f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and alias.name != "__all__"
                )

    assert offenders == []


def test_the_client_imports_nothing_from_the_server():
    server = {"mlgov", *LAYERS}
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in module_imports(path) if name.split(".")[0] in server
        )
        for path in sources("mlgov_client")
    }

    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("package", ["mlgov", *LAYERS])
def test_the_server_imports_only_the_clients_binning_rules(package):
    """The drift engine bins with mlgov_client.binning (pure, NumPy only);
    nothing else of the client is the server's."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in module_imports(path)
            if name.split(".")[0] == "mlgov_client"
            and not name.startswith("mlgov_client.binning")
        )
        for path in sources(package)
    }

    assert {path: names for path, names in offenders.items() if names} == {}
