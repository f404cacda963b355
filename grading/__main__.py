import sys

print("grading: not built yet", file=sys.stderr)
sys.exit(2)
