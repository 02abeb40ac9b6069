"""Functions stay under 60 lines, or say why just above them (a comment line directly before the def or its
decorators). Covers every room of the code."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOMS = ["pipelines/*.py", "models/*.py", "features/*.py", "simulator/*.py", "benchmarks/*.py"]
MAX_LINES = 60


def long_functions_without_a_reason() -> list[str]:
    offenders = []
    for pattern in ROOMS:
        for path in sorted(REPO.glob(pattern)):
            lines = path.read_text().splitlines()
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                length = node.end_lineno - node.lineno + 1
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if length > MAX_LINES and not lines[first - 2].lstrip().startswith("#"):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    return offenders


def test_long_functions_say_why():
    offenders = long_functions_without_a_reason()
    assert not offenders, f"functions over {MAX_LINES} lines without a comment saying why: {offenders}"
