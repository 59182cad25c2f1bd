"""`orcon demo`, the whole story in one command, as a newcomer runs it."""

from __future__ import annotations

import subprocess
import sys


def test_the_demo_tells_the_story_and_names_the_right_people(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "orcon", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    # The printed photo names the Harbour City officer, the retyped report the FBI agent.
    assert "ACCUSED: r.castellano@harbourcity.example" in text
    assert "ACCUSED: t.nakamura@fbi.example" in text
    # The screenshot of a third copy is read by OCR and names its holder.
    assert "ACCUSED: m.lindqvist@harbourcity.example" in text
    assert "read from the picture by OCR" in text
    assert "nobody else is accused" in text
    # The printed photo's officer alone is suspended; a colleague still gets copies, and
    # the suspended officer's copy is still traced to them.
    assert (
        "refused: the account of r.castellano@harbourcity.example is suspended by the originator"
    ) in text
    assert "Harbour City keeps working: d.okafor@harbourcity.example still gets copies" in text
    assert "still traced to them: r.castellano@harbourcity.example" in text
    assert "ledger verified" in text
    assert list(tmp_path.iterdir()) == []  # nothing left in the working directory
