"""Korean text in figures without missing-glyph boxes.

matplotlib's default font (DejaVu Sans) has no Hangul: a Korean label drawn with it shows boxes and
warns "Glyph ... missing from font(s)". `figure_text(korean, english)` gives the Korean text only when
a font with Hangul is installed (and switches it on as a fallback behind the default font, so Latin
letters, digits and maths keep their usual look); otherwise it gives the English text. Helpers that
put words into a figure call it; labels made of symbols and numbers need nothing.
"""
import functools
import os

# Fonts with Hangul, best first: Debian's fonts-noto-cjk, then the usual ones of Linux, Windows and macOS.
KOREAN_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "NanumGothic",
                "NanumBarunGothic", "Malgun Gothic", "AppleGothic", "Apple SD Gothic Neo", "Source Han Sans KR")


@functools.lru_cache(maxsize=None)
def korean_font():
    """The name of an installed font that has Hangul (see KOREAN_FONTS), or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in KOREAN_FONTS if name in installed), None)


def use_korean_font():
    """Put the Korean font behind matplotlib's default one (glyph by glyph fallback); False if there is none."""
    name = korean_font()
    if name is None:
        return False
    import matplotlib

    family = matplotlib.rcParams["font.family"]
    family = [family] if isinstance(family, str) else list(family)
    if name not in family:
        matplotlib.rcParams["font.family"] = [*family, name]
    return True


def has_hangul(text):
    return any("\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"
               for ch in text)


def figure_text(korean, english, lang=None, artist=None):
    """The text to draw in a figure: Korean when the language is Korean and a Korean font is installed,
    else English. lang defaults to COURSE_LANG (the helpers' message language may pass its own).

    Choosing Korean switches the Korean font on for artists made from then on; an artist made before
    (a title set later, say) is given it when passed as `artist`.
    """
    lang = lang or os.environ.get("COURSE_LANG", "en")
    if lang != "ko" or not has_hangul(korean):
        return korean if lang == "ko" else english
    if not use_korean_font():
        return english
    if artist is not None:
        import matplotlib

        artist.set_fontfamily(matplotlib.rcParams["font.family"])
    return korean
