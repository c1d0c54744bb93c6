"""docs/pytorch.md ("Coming from PyTorch") runs as written: its code examples execute and the names it gives exist."""

import functools
import operator
import re
from pathlib import Path

import pytest

import tinygrad_vn as tg

DOC = (Path(__file__).resolve().parent.parent / "docs" / "pytorch.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC, re.S)


def test_the_page_has_code_examples() -> None:
    assert EXAMPLES, "docs/pytorch.md should show the imports that a PyTorch script changes to"


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_every_code_example_runs(code: str) -> None:
    namespace: dict = {}
    exec(compile(code, "docs/pytorch.md", "exec"), namespace)
    assert namespace["torch"] is tg  # the first line: tinygrad_vn imported under PyTorch's name


def test_every_tg_name_in_the_table_exists() -> None:
    names = set(re.findall(r"`tg\.([A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_])", DOC))
    assert names
    missing = []
    for name in sorted(names):
        try:
            functools.reduce(getattr, name.split("."), tg)
        except AttributeError:
            missing.append(f"tg.{name}")
    assert not missing, f"docs/pytorch.md names what tinygrad_vn lacks: {', '.join(missing)}"


def test_the_import_block_gives_what_a_torch_script_uses() -> None:
    namespace: dict = {}
    exec(compile(EXAMPLES[0], "docs/pytorch.md", "exec"), namespace)
    for dotted in ["nn.Linear", "nn.CrossEntropyLoss", "optim.SGD", "F.relu", "F.log_softmax", "DataLoader",
                   "TensorDataset"]:
        head, *rest = dotted.split(".")
        assert functools.reduce(getattr, rest, namespace[head]) is not None
    assert operator.attrgetter("utils.data.DataLoader")(namespace["torch"]) is namespace["DataLoader"]
