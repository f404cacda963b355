"""A Korean lesson in a real browser: JupyterLab's interface in Korean, Hangul rendered, markdown intact.

JupyterLab is started as `course.py start --lang ko` starts it (the course's labconfig override picks
the ko_KR language pack); the notebook is a Korean student notebook generated in a throw-away course
folder. Needs Chromium and a font with Hangul (Debian's fonts-noto-cjk): both are installed with
apt-get when missing and possible, as for the other browser tests.
"""
import importlib.util
import sys

import pytest

from browser_lab import CHROMIUM_FLAGS, Lab, ensure_chromium, markdown_problems
from course_tools import LESSON_NAMES, ROOT, apt_install
from korean_tools import korean_course

pytestmark = pytest.mark.browser
NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def load_course_py():
    spec = importlib.util.spec_from_file_location("course_cli", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class KoreanLab(Lab):
    """The browser tests' JupyterLab, with the labconfig override `course.py start --lang ko` uses."""

    def env(self):
        env = super().env()
        return dict(env, COURSE_LANG="ko", **load_course_py().lab_language("ko", self.base / "course-lab-config"))


def unavailable(reason):
    import os

    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


def test_a_korean_lesson_renders_in_a_korean_jupyterlab(tmp_path_factory):
    chromium, reason = ensure_chromium()
    if reason:
        unavailable(reason)
    _, reason = apt_install("fonts-noto-cjk", NOTO_CJK)
    if reason:
        unavailable(reason)
    import nbformat

    lesson = LESSON_NAMES[0]
    course = korean_course(tmp_path_factory.mktemp("korean-course"), [lesson])
    lab = KoreanLab(tmp_path_factory.mktemp("korean-lab"), chromium)
    (notebook,) = (course / "locale" / "ko" / "lessons" / lesson).glob("*.ipynb")
    lab.root.mkdir(parents=True)
    (lab.root / notebook.name).write_bytes(notebook.read_bytes())
    sources = [(c.cell_type, c.source) for c in nbformat.read(notebook, as_version=4).cells]
    try:
        lab.start()
        lab.launch_browser().set_default_timeout(30_000)
        page = lab.browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.goto(f"{lab.url}/lab/workspaces/korean/tree/{notebook.name}?token={lab.token}")
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "파일" in menus and "File" not in menus, f"the interface is not in Korean: menu bar {menus}"
        problems = markdown_problems(page, sources)
        assert not problems + errors, "\n".join(problems + errors)
        # Hangul drawn with a real font: without one, every syllable is the same missing-glyph box as an
        # unassigned code point; with one, three syllables are about three em wide.
        widths = page.evaluate("""() => {
            const probe = t => { const s = document.createElement('span'); s.textContent = t;
                s.style.fontSize = '40px'; s.style.fontFamily = 'sans-serif'; document.body.appendChild(s);
                const w = s.getBoundingClientRect().width; s.remove(); return w; };
            return {hangul: probe('한국어'), boxes: probe('\\u0378\\u0379\\u0380')};
        }""")
        assert widths["hangul"] > 100 and abs(widths["hangul"] - widths["boxes"]) > 5, (
            f"Hangul seems drawn as missing-glyph boxes (widths at 40px: {widths})")
        rendered = page.locator(".jp-RenderedMarkdown").all_inner_texts()
        assert any("한국어" in text for text in rendered), "no Korean text rendered in the notebook"
        page.screenshot(path=str(lab.base / "korean-lesson.png"))
        page.close()
    finally:
        leftovers = lab.stop()
    assert not leftovers, f"processes left behind: {leftovers}"
