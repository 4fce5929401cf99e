"""The sandbox stays in its room: the core neither imports it nor its heavy libraries, and one
place names the draft provider. Read from the source, so a new leak fails here first."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "avatars" / "sandbox"
EXTRA = {"cv2", "espeakng_loader", "pykakasi"}
# Code that decides nothing about drafts or captions by provider name.
NO_SANDBOX_NAME = [
    ROOT / "avatars" / "captions.py",
    ROOT / "avatars" / "drafts.py",
    ROOT / "avatars" / "forms.py",
    *sorted((ROOT / "avatars" / "render").glob("*.py")),
]


def core_modules() -> list[Path]:
    modules = [*(ROOT / "avatars").rglob("*.py"), *(ROOT / "project").rglob("*.py")]
    return sorted(p for p in modules if SANDBOX not in p.parents)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_core_imports_neither_the_sandbox_nor_its_extra():
    leaks = {
        path.relative_to(ROOT).as_posix(): sorted(
            n
            for n in imported(path)
            if n.split(".")[0] in EXTRA
            or n == "avatars.sandbox"
            or n.startswith("avatars.sandbox.")
        )
        for path in core_modules()
    }

    assert {path: names for path, names in leaks.items() if names} == {}


def test_no_flow_names_the_sandbox_provider():
    naming = [
        path.relative_to(ROOT).as_posix()
        for path in NO_SANDBOX_NAME
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.strip().lower() == "sandbox"
    ]

    assert naming == []


def test_only_the_url_conf_mounts_the_sandbox():
    mounting = [
        p.relative_to(ROOT).as_posix() for p in core_modules() if "avatars.sandbox" in p.read_text()
    ]

    assert mounting == ["project/urls.py"]
