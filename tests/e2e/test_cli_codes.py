"""Drive the real ``orcon`` executable as a user would."""

import json
import math
import subprocess
import sys

import pytest


def orcon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orcon", *args], capture_output=True, text=True, timeout=120
    )


def test_plan_json_gives_the_planned_length():
    out = orcon("codes", "plan", "--n", "1000", "--c", "4", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["length"] == math.ceil(math.pi**2 / 2 * 16 * (math.log(1e9) + math.log(3)))


@pytest.mark.parametrize("attack", ["interleave", "majority", "all1"])
def test_demo_accuses_only_colluders(attack):
    out = orcon(
        "codes", "demo", "--n", "500", "--c", "3", "--attack", attack, "--seed", "7", "--json"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    accused = {a["recipient"] for a in data["accused"]}
    assert accused and accused <= set(data["colluders"])
    assert all(a["p_value"] <= 1e-6 / 500 for a in data["accused"])


def test_demo_at_a_chosen_length_and_bias_law():
    args = ["codes", "demo", "--n", "200", "--c", "2", "--length", "400", "--seed", "3"]
    out = orcon(*args, "--bias", "arcsine", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["length"], data["bias"]) == (400, "arcsine")
    assert {a["recipient"] for a in data["accused"]} <= set(data["colluders"])
    text = orcon(*args).stdout
    assert "400 binary symbols" in text and "biases: gauss-legendre" in text
    bad = orcon(*args, "--bias", "beta")
    assert bad.returncode == 2 and "invalid choice: 'beta'" in bad.stderr


def test_demo_at_the_capacity_floor_explains_the_side_informed_accusations():
    args = ["codes", "demo", "--n", "1000", "--c", "3", "--length", "374", "--erasure", "0"]
    data = json.loads(orcon(*args, "--seed", "3", "--json").stdout)
    side = [a for a in data["accused"] if a["decoder"] == "side-informed"]
    assert side and {a["recipient"] for a in data["accused"]} <= set(data["colluders"])
    assert len(data["ranked_for_side_information"]) == 3
    text = orcon(*args, "--seed", "3").stdout
    assert "by the side-informed score" in text and "being ranked accuses nobody" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["codes", "plan", "--n", "1000", "--eps", "3"], "epsilon must lie in (0, 1)"),
        (["codes", "plan", "--n", "ten"], "expected a whole number"),
        (["codes", "demo", "--n", "3", "--c", "5"], "cannot exceed"),
        (["codes", "demo", "--erasure", "1.5"], "--erasure must lie in [0, 1)"),
    ],
)
def test_user_mistakes_exit_2_with_one_clear_line_and_no_traceback(args, needle):
    out = orcon(*args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr
