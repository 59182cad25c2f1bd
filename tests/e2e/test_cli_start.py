"""The command line starts without importing what a command does not use."""

import subprocess
import sys

import pytest

from orcon.cli.codes import BINARY_BIAS_LAWS
from orcon.codes import BiasLaw

PROBE = """
import sys
from orcon.cli import build_parser
build_parser().parse_args({argv!r})
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {{
    "sqlalchemy", "cv2", "numpy", "httpx", "feedparser", "fastapi", "orcon"}})))
"""


def _imported(argv: list[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return set(out.stdout.strip().split(","))


@pytest.mark.parametrize(
    "argv",
    [
        ["person", "list"],
        ["share", "x.jpg", "--title", "T", "--tlp", "red"],
        ["watch", "run"],
        ["codes", "plan", "--n", "9"],
    ],
)
def test_parsing_a_command_imports_no_service_and_no_heavy_library(argv):
    loaded = _imported(argv)
    heavy = {
        m
        for m in loaded
        if m.split(".")[0] in {"sqlalchemy", "cv2", "numpy", "httpx", "feedparser", "fastapi"}
    }
    assert not heavy, sorted(heavy)
    assert not {
        m for m in loaded if m.startswith(("orcon.service", "orcon.marks", "orcon.store.models"))
    }


def test_a_command_imports_its_service_when_it_runs(tmp_path):
    probe = (
        "import sys\nfrom orcon.cli import main\n"
        f"main(['--home', {str(tmp_path / 'h')!r}, 'codes', 'plan', '--n', '9'])\n"
        "print('orcon.codes.tardos' in sys.modules, 'orcon.service.sharing' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["True", "False"]


def test_the_bias_laws_offered_are_the_binary_laws_of_the_code():
    assert set(BINARY_BIAS_LAWS) == {law.value for law in BiasLaw} - {BiasLaw.DIRICHLET.value}
    assert BINARY_BIAS_LAWS[0] == BiasLaw.GAUSS_LEGENDRE.value
