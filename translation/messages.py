"""The catalog of the helpers' learner-facing messages: helpers/locale/<lang>/LC_MESSAGES/helpers.po.

Its entries come from two places, both found with the ast module (nothing is run):
- the helpers' own messages: every string literal passed to `_`, `T` or `figure_text` in helpers/*.py, and
  the grade command's texts (`_` in grading/report.py, feedback.py and __main__.py);
- the strings the lessons' code cells pass to helpers, which translate them at run time (helpers.i18n.given):
  the `name` and `hint` of assert_close and check_gradient, the `where` of require, the argument of
  pending, the message of a NotImplementedError (pending shows it), explorer and figure titles, the
  descriptions of an explorer's controls and its button labels, a BackwardStep's note.
  A string built by an f-string becomes a template: its values become named fields ("grads['{name}']
  after sgd_step"), which the helpers match at run time and carry into the translation. A variable passed
  instead of a literal is followed to the literals assigned to it in the same cell (or the literals of
  the loop it comes from); what cannot be resolved that way is listed by `unresolved()`.

`update_helpers_catalog(lang)` syncs the catalog with the sources, with the policy of translation.catalog:
new messages added empty, a message whose English changed marked fuzzy (the old translation kept, the old
English as previous_msgid), messages no longer used made obsolete. Fuzzy and empty entries are never used.
"""
import ast
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polib

from .catalog import entry_problem

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
SOLUTIONS = ROOT / "solutions"
# the grade command's summary and the notes it adds to feedback pages (grading.i18n)
GRADING = [ROOT / "grading" / name for name in ("report.py", "feedback.py", "__main__.py")]
TEMPLATE_COMMENT = "f-string"  # the same marker as helpers.i18n.TEMPLATE_COMMENT
OWN_FUNCTIONS = {"_", "T", "figure_text"}

# helper -> (positions, keywords) of the arguments that are learner-facing text
PASSED = {
    "assert_close": ((2,), ("name", "hint")),
    "check_gradient": ((3,), ("name",)),
    "require": ((), ("where",)),
    "pending": ((0,), ("what",)),
    "Explorer": ((3,), ("title",)),
    "draw_graph": ((), ("title",)),
    "GraphView": ((), ("title",)),
    "show_confusion": ((1,), ("title",)),
    "show_digits": ((), ("title",)),
    "show_templates": ((), ("title",)),
    "show_runs": ((1,), ("title",)),
    "show_misclassified": ((), ("title",)),
    "update": ((), ("title",)),  # PlaygroundView.update, TrainingView.update
    "load": ((2,), ("title",)),  # AutogradWalk.load
    "BackwardStep": ((), ("note",)),
    "NotImplementedError": ((0,), ()),
}
WIDGETS = {"FloatSlider", "IntSlider", "FloatLogSlider", "Dropdown", "ToggleButtons", "RadioButtons", "Checkbox",
           "SelectionSlider", "Button"}  # their description= (an Explorer translates its controls' descriptions)


@dataclass
class Message:
    msgid: str
    occurrences: list = field(default_factory=list)  # (file, cell id or line)
    template: bool = False  # built from a notebook's f-string: matched with its fields at run time
    own: bool = False       # a helper's own message (a str.format template when it has fields)


def _call_name(node):
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _field_name(expr):
    """A field name for an f-string's value: its variable ('name'), attribute, or the last variable inside it."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    names = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id not in {"str", "map", "len", "int",
                                                                                     "float", "round", "np", "sum"}]
    return names[-1] if names else "value"


def _fstring_template(node, constants=None):
    """The template of an f-string: literal parts kept, a variable that holds one literal (`constants`) put in,
    every other value a named field."""
    parts, names = [], {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
            continue
        inline = (constants or {}).get(value.value.id) if isinstance(value.value, ast.Name) else None
        if inline is not None and value.conversion == -1 and value.format_spec is None:
            parts.append(inline)
            continue
        key = ast.unparse(value.value)
        if key not in names:
            base = _field_name(value.value)
            name, k = base, 2
            while name in names.values():
                name, k = f"{base}_{k}", k + 1
            names[key] = name
        parts.append("{" + names[key] + "}")
    return "".join(parts)


class _Cell:
    """The string literals of one cell's source that reach a helper's text arguments."""

    def __init__(self, tree):
        self.assigned = {}  # variable -> the expressions assigned to it (or looped over)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.assigned.setdefault(name.id, []).append(node.value)
            elif isinstance(node, (ast.For, ast.comprehension)):
                for name in ast.walk(node.target):
                    if isinstance(name, ast.Name):
                        self.assigned.setdefault(name.id, []).append(node.iter)
        self.found, self.unresolved = [], []
        # variables assigned exactly one string literal in the cell: put into the f-strings that use them
        self.constants = {name: values[0].value for name, values in self.assigned.items()
                          if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str)}

    def texts(self, expr, seen=()):
        """(text, is_template) of every literal expr can be, following variables of this cell."""
        if isinstance(expr, ast.Constant):
            return [(expr.value, False)] if isinstance(expr.value, str) and expr.value.strip() else []
        if isinstance(expr, ast.JoinedStr):
            text = _fstring_template(expr, self.constants)
            return [(text, any(isinstance(v, ast.FormattedValue) for v in expr.values) and "{" in text)]
        if isinstance(expr, ast.IfExp):
            return self.texts(expr.body, seen) + self.texts(expr.orelse, seen)
        if isinstance(expr, ast.BoolOp):
            return [t for v in expr.values for t in self.texts(v, seen)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self.texts(expr.left, seen), self.texts(expr.right, seen)
            if len(left) == 1 and len(right) == 1:
                return [(left[0][0] + right[0][0], left[0][1] or right[0][1])]
            return left + right
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            return [t for v in expr.elts for t in self.texts(v, seen)]
        if isinstance(expr, ast.Dict):
            return [t for v in [*expr.keys, *expr.values] if v is not None for t in self.texts(v, seen)]
        if isinstance(expr, ast.Name) and expr.id in self.assigned and expr.id not in seen:
            out = [t for v in self.assigned[expr.id] for t in self.texts(v, (*seen, expr.id))]
            if out:
                return out
        return []


def _notebook_calls(tree, cell):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        args = []
        if name in PASSED:
            positions, keywords = PASSED[name]
            args += [node.args[i] for i in positions if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in keywords]
        if name in WIDGETS:
            args += [k.value for k in node.keywords if k.arg == "description"]
        if name == "Explorer":
            args += [k.value.keys[i] for k in node.keywords if k.arg == "actions" and isinstance(k.value, ast.Dict)
                     for i in range(len(k.value.keys)) if k.value.keys[i] is not None]
        for arg in args:
            if name == "update" and not isinstance(arg, (ast.Constant, ast.JoinedStr)):
                continue  # update(title=...) of a variable: not worth following
            texts = cell.texts(arg)
            if not texts and not (isinstance(arg, ast.Constant) and not isinstance(arg.value, str) or
                                  isinstance(arg, ast.Constant) and not str(arg.value).strip()):
                cell.unresolved.append(ast.unparse(arg))
            cell.found += texts


def _code(source):
    """A code cell's source as Python: IPython magics and shell lines blanked."""
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def _from_notebooks(messages, unresolved):
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            try:
                tree = ast.parse(_code(source))
            except SyntaxError:
                unresolved.append((where, cell.get("id", "?"), "the cell is not Python"))
                continue
            found = _Cell(tree)
            _notebook_calls(tree, found)
            for text, template in found.found:
                _add(messages, text, (where, cell.get("id", "?")), template=template)
            unresolved += [(where, cell.get("id", "?"), expr) for expr in found.unresolved]


def _from_helpers(messages):
    for path in [*sorted(HELPERS.glob("*.py")), *GRADING]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        constants = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for t in node.targets if isinstance(t, ast.Name)}  # module-level NAME = "text"
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _call_name(node) in OWN_FUNCTIONS and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                _add(messages, arg.value, (where, str(node.lineno)), own=True)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                _add(messages, constants[arg.id], (where, str(node.lineno)), own=True)


def _add(messages, text, occurrence, template=False, own=False):
    message = messages.setdefault(text, Message(text))
    if occurrence not in message.occurrences:
        message.occurrences.append(occurrence)
    message.template |= template
    message.own |= own


def extract():
    """Every message of the helpers' catalog: dict msgid -> Message, helpers' own first, then by lesson."""
    messages, unresolved = {}, []
    _from_helpers(messages)
    _from_notebooks(messages, unresolved)
    return messages


def unresolved():
    """(notebook, cell id, expression) of every text argument the extraction could not reduce to literals."""
    messages, found = {}, []
    _from_notebooks(messages, found)
    return found


def catalog_path(lang):
    return HELPERS / "locale" / lang / "LC_MESSAGES" / "helpers.po"


def _flags(message):
    flags = []
    if (message.own or message.template) and "{" in message.msgid:
        flags.append("python-brace-format")
    return flags


def update_helpers_catalog(lang="ko"):
    """Bring helpers/locale/<lang>/LC_MESSAGES/helpers.po in line with the sources.

    Returns (added, made fuzzy, made obsolete) counts, like translation.catalog.update.
    """
    path = catalog_path(lang)
    messages = extract()
    if path.exists():
        po = polib.pofile(str(path), wrapwidth=0)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        po = polib.POFile(wrapwidth=0)
        po.metadata = {"Project-Id-Version": "backprop-course helpers", "Language": lang,
                       "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                       "Content-Transfer-Encoding": "8bit"}
    by_id = {entry.msgid: entry for entry in po}
    # entries whose English is gone: a new message that replaces one of them keeps its translation, fuzzy
    leaving = {e.msgid: e for e in po if e.msgid not in messages and e.msgstr.strip()}
    added = fuzzy = obsolete = 0
    for text, message in messages.items():
        entry = by_id.get(text)
        if entry is None:
            old = _predecessor(message, leaving)
            entry = polib.POEntry(msgid=text, msgstr="")
            if old is not None:
                entry.msgstr, entry.previous_msgid = old.msgstr, old.msgid
                entry.flags.append("fuzzy")
                del leaving[old.msgid]
                po.remove(old)
                fuzzy += 1
            else:
                added += 1
            po.append(entry)
            by_id[text] = entry
        entry.obsolete = False
        entry.occurrences = list(message.occurrences)
        entry.comment = TEMPLATE_COMMENT if message.template and "{" in text else ""
        for flag in _flags(message):
            if flag not in entry.flags:
                entry.flags.append(flag)
    for entry in po:
        if entry.msgid not in messages and not entry.obsolete:
            entry.obsolete = True
            obsolete += 1
    order = {text: i for i, text in enumerate(messages)}
    po.sort(key=lambda e: (e.obsolete, order.get(e.msgid, len(order))))
    po.save(str(path))
    return added, fuzzy, obsolete


def _predecessor(message, leaving):
    """The entry a changed message replaces: one that leaves from the same place, or else the most similar
    leaving one (difflib ratio at least 0.8), or None."""
    places = set(message.occurrences)
    same_place = [e for e in leaving.values() if places & {tuple(o) for o in e.occurrences}]
    candidates = same_place or list(leaving.values())
    best, score = None, 0.0
    for entry in candidates:
        ratio = difflib.SequenceMatcher(None, entry.msgid, message.msgid).ratio()
        if ratio > score:
            best, score = entry, ratio
    return best if best is not None and score >= (0.6 if same_place else 0.8) else None


def problems(lang="ko"):
    """One line per extracted message that has no usable translation, naming the string and where it comes from."""
    path = catalog_path(lang)
    entries = {e.msgid: e for e in polib.pofile(str(path), wrapwidth=0) if not e.obsolete} if path.exists() else {}
    found = []
    for text, message in extract().items():
        entry = entries.get(text)
        where = ", ".join(f"{f} {o}" for f, o in message.occurrences[:3])
        if entry_problem(entry):
            found.append(f"{text!r} ({where}): {entry_problem(entry)}")
    return found
