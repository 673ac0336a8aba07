"""The rules the package's layout stands for, read from its imports.

- nothing outside `sandbox/` imports `sandbox/inside/` (what runs beside student code);
- `sandbox/inside/` imports nothing of the grader's side but the wire;
- nothing in the library imports `commands/` (the command line is a thin layer on top);
- `report/` imports neither `batch/` nor `commands/`;
- no import cycles between modules, nor between the package's folders;
- the package's top level holds a few modules; the rest live in folders named for their role.

Imports are read from the source with `ast`, including those inside functions, so a
lazy import counts as much as one at the top.
"""
import ast
import os

import pytest

import autograder

PACKAGE = os.path.dirname(os.path.abspath(autograder.__file__))
WIRE = {"autograder.sandbox.wire", "autograder.sandbox.framing"}


def module_name(path: str, root: str) -> str:
    relative = os.path.relpath(path, os.path.dirname(root))[:-len(".py")].split(os.sep)
    return ".".join(relative[:-1] if relative[-1] == "__init__" else relative)


def package_modules(root: str = PACKAGE) -> dict[str, str]:
    """{module name: path} of every module of the package under `root`."""
    return {module_name(os.path.join(folder, name), root): os.path.join(folder, name)
            for folder, _, names in os.walk(root) for name in names if name.endswith(".py")}


def imports_of(name: str, path: str, known: set[str]) -> set[str]:
    """The package's modules that module `name` (at `path`) imports (`from x import y`
    counts y when y is a module, else x)."""
    is_package = path.endswith("__init__.py")
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".")
                base = parts[:len(parts) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                found.add(target + "." + alias.name if target + "." + alias.name in known else target)
    return {module for module in found if module in known}


def import_graph(root: str = PACKAGE) -> dict[str, set[str]]:
    modules = package_modules(root)
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def rule_breaches(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks one of the rules above."""
    breaches = []
    for module, imported in graph.items():
        for target in sorted(imported):
            edge = "%s imports %s" % (module, target)
            if within(target, "autograder.sandbox.inside") and not within(module, "autograder.sandbox"):
                breaches.append(edge + ": only the sandbox may reach what runs beside student code")
            if within(module, "autograder.sandbox.inside") and not (
                    within(target, "autograder.sandbox.inside") or target in WIRE or target == "autograder"):
                breaches.append(edge + ": what runs beside student code imports nothing of the grader but the wire")
            if within(target, "autograder.commands") and not within(module, "autograder.commands") \
                    and module != "autograder.__main__":
                breaches.append(edge + ": the library never imports the command line")
            if within(module, "autograder.report") and within(target, "autograder.batch"):
                breaches.append(edge + ": reports do not depend on how a class was graded")
    return breaches


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles (strongly connected components of more than one module, or a
    module importing itself), each sorted. A package's __init__ importing its own
    modules is not a cycle unless they import it back."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_layout_rules_hold():
    assert rule_breaches(import_graph()) == []


def test_there_are_no_import_cycles():
    assert cycles(import_graph()) == []


def folder_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same imports between the package's folders (and top-level modules)."""
    room = lambda module: ".".join(module.split(".")[:2])  # noqa: E731
    folders: dict[str, set[str]] = {}
    for module, imported in graph.items():
        folders.setdefault(room(module), set()).update(room(target) for target in imported
                                                       if room(target) != room(module))
    return folders


def test_no_two_folders_import_each_other_even_through_others():
    assert cycles(folder_graph(import_graph())) == []


def test_the_top_level_holds_a_few_modules_and_folders_named_for_their_role():
    modules = sorted(name for name in os.listdir(PACKAGE) if name.endswith(".py"))
    folders = sorted(name for name in os.listdir(PACKAGE)
                     if os.path.isfile(os.path.join(PACKAGE, name, "__init__.py")))
    assert len(modules) <= 12, modules
    assert folders == ["authoring", "batch", "checks", "commands", "notebooks", "report", "sandbox"]


# --- the rules can fail: each is broken on purpose in a copy of the package ------------------

@pytest.mark.parametrize("module, line, rule", [
    ("checks/cases.py", "from ..sandbox.inside import handlers", "only the sandbox may reach"),
    ("sandbox/inside/child.py", "from ...checks import compare", "imports nothing of the grader but the wire"),
    ("batch/run.py", "from ..commands import options", "never imports the command line"),
    ("report/table.py", "from ..batch import progress", "do not depend on how a class was graded"),
])
def test_breaking_a_rule_is_caught(tmp_path, module, line, rule):
    copy = broken_copy(tmp_path, module, line)
    assert any(rule in breach for breach in rule_breaches(import_graph(copy)))


def test_a_cycle_is_caught(tmp_path):
    copy = broken_copy(tmp_path, "course.py", "from .batch import jobs")
    assert ["autograder.batch.jobs", "autograder.course"] in cycles(import_graph(copy))


def test_a_cycle_between_folders_is_caught(tmp_path):
    copy = broken_copy(tmp_path, "checks/compare.py", "from ..report import table")
    assert any("autograder.checks" in cycle and "autograder.report" in cycle
               for cycle in cycles(folder_graph(import_graph(copy))))


def broken_copy(tmp_path, module: str, line: str) -> str:
    """A copy of the package's sources with `line` added to `module`."""
    copy = str(tmp_path / "autograder")
    for name, path in package_modules().items():
        target = os.path.join(copy, os.path.relpath(path, PACKAGE))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        text = open(path, encoding="utf-8").read()
        if os.path.relpath(path, PACKAGE) == module:
            text += "\n" + line + "\n"
        open(target, "w", encoding="utf-8").write(text)
    return copy
