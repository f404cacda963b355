"""The Korean learner-facing messages: complete catalog, Korean checks, language choice, Korean explorers.

Fast: no kernel, no notebook run. The helpers read the language at every message, so each test sets
COURSE_LANG (and JPY_SESSION_NAME) with monkeypatch.
"""
import json
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import numpy as np  # noqa: E402
import polib  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import Explorer, assert_close, check_gradient, checks, pending, require, sliders  # noqa: E402
from helpers import fonts, i18n  # noqa: E402
from translation import messages  # noqa: E402

FIELD = re.compile(r"\{([A-Za-z_]\w*)\}")
HANGUL = re.compile("[가-힣]")


@pytest.fixture
def korean(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("COURSE_LANG", "ko")
    checks._outcomes.clear()
    with matplotlib.rc_context():  # fonts.prepare() changes rcParams: give them back
        yield
    checks._outcomes.clear()


def korean_message(call):
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


# --- the catalog ---------------------------------------------------------------------------

def test_every_message_has_a_korean_translation():
    missing = messages.problems("ko")
    assert not missing, f"{len(missing)} messages of helpers.po need a Korean translation:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_the_english():
    po = polib.pofile(str(messages.catalog_path("ko")), wrapwidth=0)
    wrong = [f"{e.msgid!r} -> {e.msgstr!r}" for e in po if not e.obsolete and e.msgstr
             and sorted(set(FIELD.findall(e.msgid))) != sorted(set(FIELD.findall(e.msgstr)))]
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_catalog_holds_what_test_cells_pass_to_helpers():
    extracted = messages.extract()
    assert "Exercise 1" in extracted and "dz = dout * (y - t) / N: prediction minus target, divided by N because " \
        "the loss is a mean" in extracted
    assert extracted["grads['{name}'] after sgd_step"].template  # an f-string, kept as a template
    assert any(f.startswith("solutions/") for f, _ in extracted["Exercise 1"].occurrences)


def test_update_marks_changed_english_fuzzy_and_removed_obsolete(tmp_path, monkeypatch):
    path = tmp_path / "helpers.po"
    po = polib.POFile(wrapwidth=0)
    po.append(polib.POEntry(msgid="the sign is flipped!", msgstr="부호가 반대입니다!",
                            occurrences=[("helpers/checks.py", "1")]))
    po.append(polib.POEntry(msgid="a message nobody uses any more", msgstr="아무도 쓰지 않는 메시지"))
    po.save(str(path))
    monkeypatch.setattr(messages, "catalog_path", lambda lang: path)
    added, fuzzy, obsolete = messages.update_helpers_catalog("ko")
    entries = {e.msgid: e for e in polib.pofile(str(path))}
    changed = entries["the sign is flipped"]
    assert "fuzzy" in changed.flags and changed.previous_msgid == "the sign is flipped!" and changed.msgstr
    assert entries["a message nobody uses any more"].obsolete
    assert (fuzzy, obsolete) == (1, 1) and added == len(messages.extract()) - 1


# --- checks in Korean --------------------------------------------------------------------

def test_a_wrong_answer_gets_a_korean_message_with_element_expected_value_and_cause(korean):
    got = np.array([[1.0, -2.0], [3.0, 4.0]])
    text = korean_message(lambda: assert_close(-got, got, "for dout = 1 and a batch of N = 2, dz",
                                               hint="dz = dout * (y - t) / N: prediction minus target, divided by N "
                                                    "because the loss is a mean"))
    assert text.splitlines()[0] == ("dout = 1, 배치 크기 N = 2일 때의 dz[0, 0]의 값이 -1이지만 1이어야 합니다 "
                                    "(원소 4개 중 4개가 다릅니다).")
    assert "예상 원인: 부호가 반대입니다." in text
    assert "힌트: dz = dout * (y - t) / N: 예측에서 정답을 빼고" in text


def test_korean_names_an_element_of_a_description_and_fills_f_string_templates(korean):
    text = korean_message(lambda: assert_close(np.array([[1.0, 9.0]]), [[1.0, 2.0]], "the column sums of J"))
    assert text.startswith("the column sums of J의 [0, 1] 원소의 값이 9이지만 2이어야 합니다"), text
    text = korean_message(lambda: assert_close(2.0, 1.0, "grads['w2'] after sgd_step"))
    assert text == "sgd_step 호출 후의 grads['w2']의 값이 2이지만 1이어야 합니다.\n예상 원인: 두 배 큽니다: 인수 2가 더 들어갔습니다.", text


def test_shape_none_and_gradient_check_messages_in_korean(korean):
    assert "모양이 (3,)이지만 (2,)이어야 합니다" in korean_message(lambda: assert_close(np.zeros(3), np.zeros(2), "dy"))
    assert "return" in korean_message(lambda: assert_close(None, 1.0, "dy")) and "None입니다" in \
        korean_message(lambda: assert_close(None, 1.0, "dy"))
    x = np.array([1.0, 2.0, 3.0])
    text = korean_message(lambda: check_gradient(lambda v: np.sum(v ** 2), x, -2 * x, "dL/dy"))
    assert text.startswith("dL/dy이(가) 수치 미분과 맞지 않습니다: dL/dy[0]의 값이 -2이지만 수치 미분으로는 2입니다."), text


def test_require_and_pending_speak_korean(korean, capsys):
    with pytest.raises(NameError, match="연습 문제 1, 2의 셀을 먼저 실행하세요"):
        require({}, "affine", where="Exercises 1 and 2")
    with pending("Exercise 3"):
        raise NotImplementedError("training has not run")
    assert capsys.readouterr().out.startswith("건너뜀: 이 셀에는 연습 문제 3이(가) 필요한데 아직 완성되지 않았습니다 "
                                              "(학습을 실행하지 않았습니다).")


def test_english_stays_english(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("COURSE_LANG", raising=False)
    text = korean_message(lambda: assert_close(np.array([1.0, -2.0]), [-1.0, 2.0], "dz for dout = 1"))
    assert text == "dz[0] (for dout = 1) is 1 but should be -1 (2 of 2 elements differ).\nLikely cause: the sign is flipped."


# --- the language ---------------------------------------------------------------------------

def notebook(path, lang):
    path.write_text(json.dumps({"cells": [], "metadata": {"course": {"lang": lang}} if lang else {},
                                "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_language_prefers_the_notebooks_metadata_over_course_lang(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_LANG", "en")
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook(tmp_path / "ko.ipynb", "ko")))
    assert i18n.language() == "ko"
    monkeypatch.setenv("COURSE_LANG", "ko")
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook(tmp_path / "en.ipynb", "en")))
    assert i18n.language() == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook(tmp_path / "plain.ipynb", None)))
    assert i18n.language() == "ko"  # no metadata: the environment decides
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_LANG", "en")
    monkeypatch.setenv("JPY_SESSION_NAME", "some/folder/ko.ipynb")  # a path relative to the server's root
    assert i18n.language() == "ko"
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.delenv("COURSE_LANG")
    assert i18n.language() == "en"


def test_the_grade_summary_and_feedback_notes_follow_the_lesson(tmp_path):
    from grading.feedback import split_hidden, without_hidden
    from grading.i18n import language
    from grading.report import summary

    assert language(tmp_path / "locale" / "ko") == "ko" and language(notebook_lang="ko") == "ko"
    source = "x = 1\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS"
    assert "# (숨겨진 테스트가 여기서 실행되었습니다" in split_hidden(source, "ko")[0]
    assert without_hidden(source) == "x = 1"
    from grading.feedback import HideHiddenTests
    from nbformat.v4 import new_code_cell, new_notebook

    visible_run = new_notebook(cells=[new_code_cell(split_hidden(source)[0])], metadata={"course": {"lang": "ko"}})
    shown = HideHiddenTests().preprocess(visible_run, {})[0].cells[0].source
    assert shown == "x = 1\n# (숨겨진 테스트가 여기서 실행되었습니다. 내용은 보여 주지 않습니다)", shown
    row = {"student": "s1", "status": "failed", "score": "0", "max_score": "3", "completed": False, "flags": "",
           "repairs": "", "needs_manual_grading": "", "reason": "kernel died"}
    assert summary([row], {}, "ko")[:2] == ["학생 1명: failed 1", "평균 점수 0.00 / 3 (학생 전체)"]
    assert summary([row], {}, "en")[0] == "1 students: failed 1"


# --- explorers and figures in Korean ------------------------------------------------------------

class V:
    """A tiny scalar autograd value (what Lesson 8's engine looks like to the walk)."""

    def __init__(self, data, parents=(), local_grads=(), op="", label=""):
        self.data, self.grad, self.parents, self.local_grads = data, 0.0, parents, local_grads
        self.op, self.label = op, label

    def __add__(self, other):
        return V(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        return V(self.data * other.data, (self, other), (other.data, self.data), "*")


def backward(root):
    root.grad = 1.0
    for node in [root, *root.parents]:
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad


def all_texts(fig):
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def build_every_view():
    """Each explorer and figure of the helpers, built and updated once; returns the figures."""
    from helpers.autograd_view import AutogradWalk
    from helpers.backprop_walk import BackwardStep, BackwardWalk
    from helpers.digits import Recorder, TrainingView, show_confusion, show_digits, show_templates
    from helpers.graph import GraphView
    from helpers.perceptron_plots import PerceptronView
    from helpers.playground import PlaygroundView
    from helpers.vanishing import GradientFlowView

    figs = []
    play = PlaygroundView(resolution=8)
    grid = play.grid(np.array([[0.0, 0.0], [1.0, 1.0]]))
    play.update(np.array([[0.0, 0.0], [1.0, 1.0]]), [0, 1], np.full(len(grid), 0.5), np.ones((2, 2)), [0.7, 0.5],
                title="2-2-1 sigmoid network trained on XOR")
    figs.append(play.fig)
    flow = GradientFlowView(max_depth=4)
    flow.update([1.0, 0.1, 0.01], [np.ones((3, 2)), np.zeros((3, 2))])
    figs.append(flow.fig)
    figs.append(TrainingView(5).fig)
    figs += [show_confusion(np.eye(10, dtype=int)), show_digits(np.zeros((2, 64)), title="the first 24 training images"),
             show_templates(np.ones((64, 3)))]
    view = GraphView({"x1": (0, 0), "x2": (0, 1), "y": (1, 0.5)}, [("x1", "y"), ("x2", "y"), ("x1", "y")],
                     title="y = x1·x2 + x1: x1 is used twice")
    walk = BackwardWalk(view).load([BackwardStep("y", 1.0, {"x1": 2.0}, {"x1": 2.0}, note="add: local 1")])
    walk.step()
    figs.append(view.fig)
    fig = Figure()
    ax, panel = fig.subplots(1, 2)
    x, y = V(2.0, label="x"), V(-1.0, label="y")
    auto = AutogradWalk(ax, panel).load(x * y + x, backward, title="backward")
    for _ in range(len(auto.visits) - 1):
        auto.step()
    figs.append(fig)
    pfig = Figure()
    perceptron = PerceptronView(pfig.add_subplot(), resolution=8)
    perceptron.set_data(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([-1.0, 1.0]))
    perceptron.show(np.array([0.5, 1.0, -1.0]), lambda w, x: np.where(x @ w[1:] + w[0] >= 0, 1.0, -1.0))
    perceptron.ax.legend()
    figs.append(pfig)
    return figs, walk, auto


def test_every_explorer_builds_in_korean_with_korean_words_and_no_missing_glyph(korean):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figs, walk, auto = build_every_view()
        boxes = Explorer(figs[0], lambda lr, hidden: None,
                         {"lr": widgets.FloatSlider(value=0.1, min=0.0, max=1.0, description="lr"),
                          **{"hidden": sliders(hidden=(1, 4, 2))["hidden"]}},
                         title="MLP playground: your gd_step trains, your mlp_forward and affine draw",
                         actions={"step": lambda **_: None})
        for fig in figs:
            FigureCanvasAgg(fig).draw()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing
    assert "MLP 놀이터" in boxes.children[0].value and boxes.buttons["step"].description == "단계"
    assert boxes.controls["lr"].description == "학습률"
    if fonts.korean_font() is None:  # no Hangul font on this machine: figures keep their English words
        assert not any(HANGUL.search(all_texts(fig)) for fig in figs)
        return
    for fig in figs:
        assert HANGUL.search(all_texts(fig)), all_texts(fig)[:200]
    assert "단계 1/1: 노드 y" in walk.panel.get_text() and "끝. 잎 노드:" in auto.panel.get_text()


def test_the_training_explorer_and_a_failing_explorer_speak_korean(korean):
    from helpers.digits import training_explorer

    def unfinished(*args, **kwargs):
        raise NotImplementedError

    explorer = Explorer(Figure(), unfinished, sliders(w=(0, 1, 0.5)))
    assert "이 탐색기" in explorer.status.value and "아직 완성되지 않았습니다" in explorer.status.value
    digits = training_explorer(None, unfinished, unfinished, unfinished, unfinished)
    assert "숫자 데이터에서 여러분의 신경망" in digits.children[0].value
    assert [c.description for c in digits.controls.values()] == ["너비", "깊이", "학습률", "배치 크기", "에폭 수", "초깃값"]
    assert list(digits.buttons) == ["다시 학습"] and "NotImplementedError" in digits.status.value
