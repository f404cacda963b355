"""Known-wrong answers, one module per lesson, named after the lesson folder (l01_chain_rule for
solutions/01_chain_rule). Each module defines WRONG: exercise grade_id -> {label: cell source}.

Every answer here is a mistake real learners make; the grading round trip checks that each one
loses the points of its exercise's test cell.
"""
import importlib


def wrong_answers(lesson):
    return importlib.import_module(f"wrong_answers.l{lesson}").WRONG
