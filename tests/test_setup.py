"""make system-deps: each missing tool installed alone, with a stand-in apt-get recording calls."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
# What the recipe and the script need besides the tools under test.
BASICS = ("bash", "sh", "id", "chmod", "test", "mkdir", "cat", "env")
APT_STUB = """#!/bin/bash
echo "$*" >> "{log}"
[ "$1" = install ] || exit 0
pkg="${{@: -1}}"
case "$pkg" in sphinxsearch) cmd=searchd;; *) cmd=$pkg;; esac
printf '#!/bin/bash\\nexit 0\\n' > "{bin}/$cmd"
chmod +x "{bin}/$cmd"
"""


def _bin(tmp_path: Path, present: tuple[str, ...]) -> tuple[Path, Path]:
    """A PATH of one folder: the basics, a stand-in apt-get and sudo, and the tools present."""
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    for name in BASICS:
        (bin_dir / name).symlink_to(shutil.which(name))
    stubs = {"apt-get": APT_STUB.format(log=log, bin=bin_dir),
             "sudo": '#!/bin/bash\nexec "$@"\n',
             **{tool: "#!/bin/bash\nexit 0\n" for tool in present}}
    for name, text in stubs.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir, log


def _make(bin_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    # AXE points at a file that is there, so the recipe's npm install of axe-core is not run.
    axe = tmp_path / "axe.min.js"
    axe.write_text("")
    return subprocess.run([MAKE, "-s", "-C", str(ROOT), "system-deps", f"AXE={axe}"],
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)


def _installs(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split()[-1] for line in lines if line.startswith("install")]


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
@pytest.mark.parametrize("present, installed", [
    (("npm", "searchd", "nginx"), ["chromium"]),  # this image: nodejs ships npm
    ((), ["chromium", "npm", "sphinxsearch", "nginx"]),
    (("chromium", "npm", "nginx"), ["sphinxsearch"]),
    (("chromium", "npm", "searchd", "nginx"), []),
])
def test_system_deps_installs_each_missing_tool_alone(tmp_path, present, installed):
    bin_dir, log = _bin(tmp_path, present)
    done = _make(bin_dir, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _installs(log) == installed  # one package per apt-get install, never together
    if installed:
        assert log.read_text().splitlines()[0] == "update -qq"
        assert f"installed {' '.join(installed)}" in done.stdout
    else:
        assert not log.exists()
        assert "nothing installed" in done.stdout


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_system_deps_fails_clearly_when_apt_cannot_install(tmp_path):
    bin_dir, log = _bin(tmp_path, ("npm", "searchd", "nginx"))
    # An apt-get that installs the package but not the command: the check afterwards catches it.
    (bin_dir / "apt-get").write_text(f'#!/bin/bash\necho "$*" >> "{log}"\nexit 0\n')
    done = _make(bin_dir, tmp_path)
    assert done.returncode != 0
    assert "chromium was installed but chromium is still not on PATH" in done.stderr
    (bin_dir / "apt-get").write_text(f'#!/bin/bash\necho "$*" >> "{log}"\n'
                                     '[ "$1" = install ] && exit 100\nexit 0\n')
    done = _make(bin_dir, tmp_path)
    assert done.returncode != 0
    assert "apt-get could not install chromium" in done.stderr


def _dry_run(env: dict, *args: str) -> str:
    """The gunicorn line `make -n run` would execute."""
    done = subprocess.run([MAKE, "-n", "-C", str(ROOT), "run", *args],
                          env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, timeout=60, check=True)
    return next(line for line in done.stdout.splitlines() if "gunicorn" in line)


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
@pytest.mark.parametrize("env, args, index, bind", [
    ({}, (), "index", "127.0.0.1:8000"),
    ({"SEARCH_BIND": "127.0.0.1:8731", "SEARCH_INDEX_DIR": "/srv/big"}, (),
     "/srv/big", "127.0.0.1:8731"),
    ({}, ("PORT=8001", "INDEX=other"), "other", "127.0.0.1:8001"),
    # The command line overrides the environment.
    ({"SEARCH_BIND": "127.0.0.1:8731", "SEARCH_INDEX_DIR": "/srv/big"},
     ("PORT=9000", "INDEX=mine"), "mine", "127.0.0.1:9000"),
    ({"SEARCH_BIND": "127.0.0.1:8731"}, ("HOST=0.0.0.0",), "index", "0.0.0.0:8000"),
])
def test_make_run_settings_environment_then_variables(env, args, index, bind):
    line = _dry_run(env, *args)
    assert f"SEARCH_INDEX_DIR={index} " in line
    assert f"SEARCH_BIND={bind} " in line


@pytest.mark.slow
@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_run_serves_the_index_and_address_from_the_environment(tmp_path):
    """A real `make run`: SEARCH_INDEX_DIR's index (not samples/) on SEARCH_BIND's port."""
    import requests

    from tests.conftest import index_records
    from tests.servers import free_port

    index_dir = index_records([{"id": "only", "text": "Єдиний документ про бюджет громади.",
                                "lang": "uk"}], tmp_path, tmp_path / "big")
    port = free_port()
    env = {**os.environ, "SEARCH_INDEX_DIR": str(index_dir),
           "SEARCH_BIND": f"127.0.0.1:{port}", "SEARCH_WORKERS": "1"}
    proc = subprocess.Popen([MAKE, "-s", "-C", str(ROOT), "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        body = None
        for _ in range(300):
            try:
                body = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None, "make run exited"
                time.sleep(0.2)
        assert body is not None, "nothing listened on SEARCH_BIND's port"
        assert body["doc_count"] == 1  # the given index, not the samples
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_run_installs_runtime_dependencies_only(tmp_path):
    venv = tmp_path / "venv"  # not there yet: make would create and fill it
    run = subprocess.run([MAKE, "-n", "-C", str(ROOT), "run", f"VENV={venv}"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    installs = [line for line in run.splitlines() if "pip install" in line and "-e" in line]
    assert installs and all(line.rstrip().endswith("-e .") for line in installs), installs
    test = subprocess.run([MAKE, "-n", "-C", str(ROOT), "test", f"VENV={venv}"],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert "-e '.[test]'" in test and "-e '.[test,bench]'" in test
