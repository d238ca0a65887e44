"""bench/procmem.py: per-process peaks of a run, its descendants' apart from its own."""

import subprocess
import sys
from pathlib import Path

import pytest

from bench.procmem import PeakWatch


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_grandchilds_peak_is_seen_apart_from_this_process():
    code = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'x = bytearray(160 << 20); import time; time.sleep(1.2)'], check=True)")
    with PeakWatch() as watch:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert 150 <= watch.other_mib < 250  # the grandchild's 160 MiB, not this process's
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(line for line in status if line.startswith("VmHWM:"))
    assert watch.own_mib == round(int(hwm.split()[1]) / 1024, 1)
