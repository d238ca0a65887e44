"""bench/procmem.py: per-process peaks of a run, its descendants' apart from its own."""

import subprocess
import sys

import pytest

from bench.procmem import PeakWatch


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_grandchilds_peak_is_seen_apart_from_this_process():
    code = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'x = bytearray(160 << 20); import time; time.sleep(1.2)'], check=True)")
    with PeakWatch() as watch:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert 150 <= watch.other_mib < 250
    assert watch.own_mib < 150
