"""Fonts for the words drawn in figures, so that Korean never shows as missing-glyph boxes.

matplotlib's default font (DejaVu Sans) has no Hangul. In a Korean notebook the helpers' figures draw their
words with a CJK-capable font found on the machine (Noto Sans CJK, NanumGothic, Malgun Gothic, AppleGothic),
kept behind DejaVu Sans so that Latin letters, digits and maths look as in the English course; when no such
font is installed, figure words stay English (`figure_text`), which DejaVu Sans draws.

- `korean_font(mono=False)`: the family name of an installed font with Hangul, or None.
- `prepare()`: before a figure is built, make matplotlib's text use that font when the language is Korean
  (an rcParams fallback list, so the learner's own figures can draw Korean too); English: nothing changes.
- `figure_text(text)`: a helper's figure word in the current language when it can be drawn, else English.
- `monospace()`: the font family of a monospace panel (Hangul in it takes two columns: see i18n.pad).
"""
from functools import lru_cache

from .i18n import _, given, language

SANS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Nanum Gothic", "NanumBarunGothic", "Malgun Gothic",
        "AppleGothic", "Apple SD Gothic Neo", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC",
        "Source Han Sans K", "Source Han Sans KR", "UnDotum", "Baekmuk Gulim")
MONO = ("Noto Sans Mono CJK KR", "D2Coding", "NanumGothicCoding", "Noto Sans Mono CJK JP", "Noto Sans Mono CJK SC")


@lru_cache(maxsize=2)
def korean_font(mono=False):
    """The first installed font family of MONO (mono=True) or SANS that has Hangul, or None."""
    from matplotlib import font_manager

    installed = {}
    for entry in font_manager.fontManager.ttflist:
        installed.setdefault(entry.name, entry.fname)
    for family in (MONO if mono else SANS):
        if family in installed and _has_hangul(installed[family]):
            return family
    return None if mono else _any_hangul_font(installed)


def _has_hangul(path):
    """Whether the font file draws 가 and 힣 (the first and last Hangul syllables)."""
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) for ch in "가힣")
    except Exception:  # unreadable font file: not usable
        return False


def _any_hangul_font(installed):
    for family, path in sorted(installed.items()):
        if family not in ("DejaVu Sans", "DejaVu Sans Mono") and _has_hangul(path):
            return family
    return None


def korean():
    """True when figures should draw Korean words: the language is Korean and a font for it is installed."""
    return language() == "ko" and korean_font() is not None


def prepare():
    """Before building a figure: in Korean, let matplotlib fall back to the Korean font for Hangul."""
    if not korean():
        return
    import matplotlib

    family = korean_font()
    current = list(matplotlib.rcParams["font.family"])
    if family not in current:
        matplotlib.rcParams["font.family"] = [*current, family]


def figure_text(text):
    """A helper's own figure word(s) in the current language, or English when no Korean font is installed."""
    return _(text) if korean() else text


def figure_given(text):
    """Like figure_text, for a string a notebook passed (e.g. a figure's title)."""
    return given(text) if korean() else text


def monospace():
    """The font family (list) for a monospace panel: DejaVu Sans Mono, with a Korean monospace font behind it."""
    mono = korean_font(mono=True) or korean_font() if korean() else None
    return ["monospace", mono] if mono else ["monospace"]


def title_font():
    """Keyword arguments for set_title on an Axes made before prepare(): its title keeps the font it was made with."""
    if not korean():
        return {}
    import matplotlib

    return {"fontfamily": list(matplotlib.rcParams["font.family"])}
