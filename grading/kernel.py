"""The grading kernel: python -I -m grading.kernel -f CONNECTION-FILE (started inside the sandbox).

The course's guard is installed first (see guard.py), before IPython and before any student code;
its reports go to a copy of the original stderr, which only the grader reads. Then IPython's kernel
starts as usual.
"""
import os
import sys


def main():
    for folder in ("HOME", "IPYTHONDIR", "MPLCONFIGDIR"):
        if os.environ.get(folder):
            os.makedirs(os.environ[folder], exist_ok=True)
    from grading import guard

    guard.install(report_fd=os.dup(2))
    from ipykernel.kernelapp import launch_new_instance

    sys.argv[0] = "grading-kernel"
    launch_new_instance()


if __name__ == "__main__":
    main()
