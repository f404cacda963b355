"""Integrity scan: flag, for a person to review, code in a submission that tampers with grading.

It flags and never changes a grade: a flag can be innocent (a learner who names a variable
`require`), and the grading itself does not depend on it (test cells are restored, the check
functions rebound before each test, the skip tag is secret). Only cells that run as the learner
wrote them are read; test cells are replaced by the originals before grading.
"""
import ast
import re

from IPython.core.inputtransformer2 import TransformerManager

# Names a test cell relies on: the helpers' check functions and anything that looks like one.
CHECK_NAMES = {"assert_close", "require", "check_gradient", "numerical_gradient", "rel_error",
               "diagnose", "pending", "AssertionError"}
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                 "ast_transformers", "register_transformer", "pre_run_cell", "pre_execute",
                 "post_run_cell", "post_execute", "run_cell", "run_cell_async", "set_custom_exc"}
HISTORY_NAMES = {"In", "_ih", "_i", "_ii", "_iii", "history_manager", "_oh", "Out"}
GUARDED_MODULES = {"helpers", "numpy", "np", "builtins", "__builtins__", "sys", "IPython", "nbgrader",
                   "grading", "math", "unittest", "pytest", "os"}
PROCESS = {("os", "_exit"), ("os", "kill"), ("os", "abort"), ("sys", "_getframe"), ("sys", "settrace"),
           ("sys", "setprofile"), ("inspect", "currentframe"), ("inspect", "stack"), ("gc", "get_objects"),
           ("gc", "get_referrers")}
SUSPECT_IMPORTS = {"sqlite3": "imports sqlite3 (the gradebook is an SQLite file)",
                   "nbgrader": "imports nbgrader", "sqlalchemy": "imports sqlalchemy (the gradebook)",
                   "ctypes": "imports ctypes", "signal": "imports signal", "resource": "imports resource"}
TEXT_PATTERNS = [
    (re.compile(r"NBGRADER_EXECUTION"), "checks NBGRADER_EXECUTION (behaves differently while graded)"),
    (re.compile(r"gradebook|\.db\b"), "refers to the gradebook"),
    (re.compile(r"BEGIN HIDDEN TESTS|autograded/|submitted/"), "refers to hidden tests or grading folders"),
]
_transform = TransformerManager().transform_cell


def _dotted(node):
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _is_check_name(name):
    return name in CHECK_NAMES or name.startswith("assert")


class _Finder(ast.NodeVisitor):
    def __init__(self):
        self.found = []  # (line, message)
        self.modules = set(GUARDED_MODULES)  # names bound to modules, aliases included

    def flag(self, node, message):
        self.found.append((getattr(node, "lineno", 0), message))

    def _bind(self, node, name):
        if _is_check_name(name):
            self.flag(node, f"rebinds the check function `{name}`")
        elif name in HISTORY_NAMES:
            self.flag(node, f"rebinds `{name}`")

    def _target(self, node, target):
        if isinstance(target, ast.Name):
            self._bind(node, target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(node, elt)
        elif isinstance(target, ast.Starred):
            self._target(node, target.value)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            dotted = _dotted(target if isinstance(target, ast.Attribute) else target.value)
            if dotted and dotted.split(".")[0] in self.modules:
                self.flag(node, f"assigns to `{dotted}` (patches a module)")

    def visit_Import(self, node):
        for alias in node.names:
            root = alias.name.split(".")[0]
            self.modules.add((alias.asname or root))
            if root in SUSPECT_IMPORTS:
                self.flag(node, SUSPECT_IMPORTS[root])
            if alias.asname:
                self._bind(node, alias.asname)

    def visit_ImportFrom(self, node):
        module = (node.module or "").split(".")[0]
        if module in SUSPECT_IMPORTS:
            self.flag(node, SUSPECT_IMPORTS[module])
        for alias in node.names:
            bound = alias.asname or alias.name
            # `from helpers import assert_close` is the notebook's own import; anything else rebinds
            if module != "helpers" or (alias.asname and alias.asname != alias.name):
                self._bind(node, bound)

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(node, target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node, node.target)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node):
        for target in node.targets:
            self._target(node, target)

    def visit_FunctionDef(self, node):
        self._bind(node, node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Attribute(self, node):
        dotted = _dotted(node) or ""
        if node.attr in IPYTHON_HOOKS:
            self.flag(node, f"uses IPython's `{node.attr}` (can rewrite or watch the test cells)")
        elif dotted.endswith("events.register") or dotted.endswith("events.unregister"):
            self.flag(node, "registers an IPython event hook")
        elif dotted == "sys.modules" or dotted.startswith("sys.modules."):
            self.flag(node, "edits or reads sys.modules")
        elif tuple(dotted.split(".")[-2:]) in PROCESS:
            self.flag(node, f"calls `{dotted}` (ends or inspects the grading process)")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in HISTORY_NAMES and isinstance(node.ctx, ast.Load):
            self.flag(node, f"reads the input/output history `{node.id}` (it holds the hidden tests once they ran)")

    def visit_Call(self, node):
        name = _dotted(node.func) or ""
        if name in ("setattr", "delattr") and node.args:
            target = _dotted(node.args[0]) or ""
            if target.split(".")[0] in self.modules or any(_is_check_name(a.value) for a in node.args[1:2]
                                                           if isinstance(a, ast.Constant) and isinstance(a.value, str)):
                self.flag(node, f"{name}() on `{target or '?'}` (patches a module or a check)")
        elif name in ("exec", "eval", "compile", "__import__", "globals().update", "vars().update"):
            self.flag(node, f"calls {name}() (code the scan cannot read)")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node):
        caught = [n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)] if node.type else []
        if {"KeyboardInterrupt", "BaseException"} & set(caught):
            self.flag(node, "catches KeyboardInterrupt (the grader's interrupt of an endless loop)")
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            self._bind(node, name)


def scan_source(source):
    """[(line, message)] for one cell's source (IPython magics allowed)."""
    tree = None
    for text in (source, _transform(source)):  # plain Python first, so line numbers stay right
        try:
            tree = ast.parse(text)
            break
        except SyntaxError:
            continue
    finder = _Finder()
    if tree is not None:
        finder.visit(tree)
    for pattern, message in TEXT_PATTERNS:
        for match in pattern.finditer(source):
            finder.found.append((source.count("\n", 0, match.start()) + 1, message))
    return sorted(set(finder.found))


def scan_notebook(nb, skip_ids=()):
    """Findings for every code cell that runs as written: [(cell name, line, message)].

    skip_ids: grade ids of the test cells, which grading replaces by the originals.
    """
    findings = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in skip_ids:
            continue
        name = grade_id or cell.get("id") or f"cell {index}"
        findings += [(name, line, message) for line, message in scan_source(cell.source)]
    return findings
