"""The layers stay as drawn (docs/development.md): a torch-free ``space/`` and
``operators/``, ``evaluation/`` beside the search and below the run, imports pointing one
way, no import cycle among module-level imports."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tsenas_pymoo"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str, everywhere: bool) -> set[str]:
    """The package modules ``name`` imports: at module level, or anywhere (``everywhere``:
    function-local imports too)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree) if everywhere else tree.body
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            if node.level:
                base = base[: len(base) - node.level + 1]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            targets = [prefix, *(f"{prefix}.{a.name}" for a in node.names)]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("space", "operators", "evaluation") else "top"


#: Which layers each layer may import (anywhere in its files); "top" is the package's own
#: modules (only the torch-free helpers are allowed below).
ALLOWED = {
    "space": {"space"},
    "operators": {"space", "operators"},
    "evaluation": {"space", "evaluation"},
}
#: Top-level modules the lower layers may use: the version, fault points, the declared
#: search/evaluator seam, run-directory IO,
#: the thread policy (torch-free helpers the search and the run share).
SHARED = {
    "tsenas_pymoo",
    "tsenas_pymoo.faults",
    "tsenas_pymoo.interface",
    "tsenas_pymoo.rundir",
    "tsenas_pymoo.threads",
}
#: The search's modules, in ``search/`` since 0.8.0.
SEARCH = ("problem", "mixed_problem", "fine_problem", "algorithm", "regularized", "stock", "budget")
#: Old paths kept for one version (docs/changes.md, 0.8.0): old module -> where it moved.
MOVED = {
    "tsenas_pymoo.runner": "tsenas_pymoo.run",
    "tsenas_pymoo.evaluation.protocol": "tsenas_pymoo.interface",
    "tsenas_pymoo.comparison": "tsenas_pymoo.analysis.comparison",
    "tsenas_pymoo.evaluation.fidelity": "tsenas_pymoo.analysis.fidelity",
    "tsenas_pymoo.evaluation.savings": "tsenas_pymoo.analysis.savings",
    **{f"tsenas_pymoo.{m}": f"tsenas_pymoo.search.{m}" for m in SEARCH},
}


#: Modules of ``space/`` that build torch modules (everything else there is torch-free).
TORCH_SPACE = {"tsenas_pymoo.space.network", "tsenas_pymoo.space.ops", "tsenas_pymoo.space.cost"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) in ALLOWED and n not in MOVED))
def test_each_lower_layer_imports_only_the_layers_below_it(name):
    wrong = {m for m in imports(name, everywhere=True) if m not in SHARED and layer(m) not in ALLOWED[layer(name)]}
    assert not wrong, f"{name} imports {sorted(wrong)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) == "operators"))
def test_operators_use_only_the_torch_free_space(name):
    assert not imports(name, everywhere=True) & TORCH_SPACE


def test_importing_space_and_operators_loads_no_torch():
    code = "import sys, tsenas_pymoo.space, tsenas_pymoo.operators; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (module -> modules it imports), or None."""
    seen, path = set(), []

    def visit(node):
        if node in path:
            return [*path[path.index(node) :], node]
        if node in seen:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if cycle := visit(target):
                return cycle
        path.pop()
        seen.add(node)
        return None

    return next((c for c in map(visit, sorted(graph)) if c), None)


def test_module_level_imports_have_no_cycle():
    cycle = find_cycle({name: imports(name, everywhere=False) for name in MODULES})
    assert cycle is None, " -> ".join(cycle)


def test_the_walker_sees_relative_imports_and_finds_a_planted_cycle():
    assert "tsenas_pymoo.space.primitives" in imports("tsenas_pymoo.space.cells", everywhere=False)
    assert "tsenas_pymoo.space.genome" in imports("tsenas_pymoo.operators.crossover", everywhere=False)
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None


def test_function_local_imports_close_no_cycle_across_subpackages():
    """Counting the imports inside functions too (config.py and stock.py once imported each
    other that way), every cycle stays inside one subpackage (space's width rule counts
    its networks' cost lazily); the package's lazy ``__init__`` is not an edge."""

    def package(name):
        return name.rsplit(".", 1)[0] if name.count(".") > 1 else name

    graph = {
        n: {m for m in imports(n, everywhere=True) if m != "tsenas_pymoo" and package(m) != package(n)} for n in MODULES
    }
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_moved_module_still_imports_from_its_old_path_with_a_deprecation_warning(old):
    code = (
        "import warnings, importlib; warnings.simplefilter('error', DeprecationWarning)\n"
        f"try:\n    importlib.import_module({old!r})\nexcept DeprecationWarning as w:\n    print('warned', w)\n"
        f"warnings.simplefilter('ignore')\nm = importlib.import_module({old!r})\n"
        f"n = importlib.import_module({MOVED[old]!r})\n"
        "print(all(getattr(m, k) is getattr(n, k) for k in getattr(n, '__all__', []) if hasattr(m, k)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("warned") and MOVED[old] in out and out.strip().endswith("True"), out


def test_the_package_itself_imports_no_deprecated_path():
    for name in MODULES:
        if name not in MOVED:
            assert not imports(name, everywhere=True) & set(MOVED), name


def _classes():
    """(module path, class node) of every class in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                yield path, node


#: Settings dataclasses: fields, not a constructor's parameters (docs/development.md).
SETTINGS = {"SearchConfig"}


def test_classes_stay_short_and_constructors_take_at_most_ten_parameters():
    long, wide = [], []
    for path, node in _classes():
        if node.name in SETTINGS:
            continue
        if node.end_lineno - node.lineno + 1 >= 200:
            long.append(f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
        for init in (f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"):
            n = len(init.args.args) - 1 + len(init.args.kwonlyargs)
            if n > 10:
                wide.append(f"{path.name}:{node.name} ({n} parameters)")
    assert not long and not wide, (long, wide)
