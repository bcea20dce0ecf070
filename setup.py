"""Build the optional C speed-up; everything else about the package is in pyproject.toml.

``keyscan._fastdelta`` makes a history scan's change finding ~10x faster (see its source).  It is
optional: where it cannot be compiled (no C compiler), the install goes on without it and keyscan runs
the same steps in Python, with the same findings.
"""

from setuptools import Extension, find_packages, setup

setup(
    packages=[*find_packages("src"), "keyscan._rules"],
    ext_modules=[Extension("keyscan._fastdelta", ["src/keyscan/_fastdelta.c"], optional=True)],
)
