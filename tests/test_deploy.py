"""deploy/: the systemd unit passes systemd-analyze verify, the nginx example passes nginx -t."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _tool(name: str) -> str:
    """The tool's path (deploy/system-deps.sh installs it), or skip."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        pytest.skip(f"{name} is not installed (deploy/system-deps.sh installs it)")
    return found


def test_systemd_unit_verifies(tmp_path):
    analyze = _tool("systemd-analyze")
    # The unit names the installed paths (/opt/search); here they are this checkout's.
    unit = (DEPLOY / "search.service").read_text()
    unit = unit.replace("/opt/search/.venv", str(Path(sys.executable).parent.parent))
    unit = unit.replace("/opt/search", str(ROOT))
    path = tmp_path / "search.service"
    path.write_text(unit)
    done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert str(path) not in done.stderr and "search.service" not in done.stderr, done.stderr
    assert "gunicorn -c" in unit and "PROMETHEUS_MULTIPROC_DIR" in unit


def test_nginx_example_passes_nginx_t(tmp_path):
    nginx = _tool("nginx")
    openssl = _tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=search.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    site = (DEPLOY / "nginx-search.conf").read_text()
    site = site.replace("/etc/ssl/certs/search.example.org.pem", str(cert))
    site = site.replace("/etc/ssl/private/search.example.org.key", str(key))
    (tmp_path / "site.conf").write_text(site)
    # The example is a site (an http-level include), as in Debian's sites-enabled.
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"),
                           "-p", f"{tmp_path}/"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "proxy_pass http://search_app" in site and "127.0.0.1:8000" in site
