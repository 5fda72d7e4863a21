"""The wheel's build hook: every package-<board>.json beside pyproject.toml goes into the wheel's
data (pipdream/_data), so a new board module's mip package ships with no list to edit."""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        for path in sorted(Path(self.root).glob("package-*.json")):
            build_data["force_include"][str(path)] = f"pipdream/_data/{path.name}"
