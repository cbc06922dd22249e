"""The one thing pyproject.toml cannot declare without setuptools' experimental table: the hash
guard's per-state fast path in C (explorer/fingerprint.py says why). It is optional: where no C
compiler is found the install goes on, and the same function runs in pure Python."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("explorer._guard", ["explorer/_guard.c"], optional=True)])
