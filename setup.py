"""The wheel carries the templates and static files as package data of ``mqlab``
(``mqlab/templates``, ``mqlab/static``), where Django's app loaders find them, so that an
installed ``mqlab serve`` needs nothing from the repository. Everything else is in
pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the repository
        for folder in ("templates", "static"):
            shutil.copytree(ROOT / folder, Path(self.build_lib) / "mqlab" / folder,
                            dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithAssets})
