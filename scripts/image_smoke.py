"""Smoke test of mlgov's image without `podman run` (crun cannot set up
cgroups on these machines): the image's filesystem is exported into a
temporary directory and its entrypoint runs under chroot, as the image's
user, with the image's environment, against PostgreSQL and Redis on loopback.

    python3 scripts/image_smoke.py localhost/mlgov:dev     (scripts/image.sh smoke)

It checks what the deployment contract promises: the image runs as a non-root
user, carries its OCI labels and a HEALTHCHECK and no compiler; `migrate`,
`manage check --deploy` (production settings), `worker --once` and
`scheduler --once` succeed; `web` answers /healthz and /readyz, a static file
and a token-authenticated API call, and its processes run as that user; the
image's own HEALTHCHECK command passes. Every process it starts is stopped by
its PID; the scratch database, the Redis keys and the directory are removed.

Standard library only, run by the host's python3.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

POSTGRES = os.environ.get("SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = "mlgov_image_smoke"
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")
KEY_PREFIX = "mlgov_image_smoke"
HOST = "mlgov.smoke.test"
LABELS = ("version", "revision", "source")
COMPILERS = ("gcc", "cc", "c++", "g++", "clang", "x86_64-linux-gnu-gcc")


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"smoke: {message}", file=sys.stderr, flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    log(f"ok: {message}")


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def inspect(image: str) -> dict:
    return json.loads(run(["podman", "image", "inspect", image]).stdout)[0]


def export_rootfs(image: str, rootfs: Path) -> None:
    container = run(["podman", "create", image]).stdout.strip()
    try:
        with subprocess.Popen(
            ["podman", "export", container], stdout=subprocess.PIPE
        ) as export:
            subprocess.run(
                ["tar", "-x", "--numeric-owner", "-C", str(rootfs)],
                stdin=export.stdout,
                check=True,
            )
        if export.returncode:
            raise SmokeFailure(f"podman export exited {export.returncode}")
    finally:
        run(["podman", "rm", container])
    # The few device nodes a process expects, made in the copy itself so
    # nothing of the host is mounted into it.
    dev = rootfs / "dev"
    dev.mkdir(exist_ok=True)
    for name, minor in (("null", 3), ("zero", 5), ("random", 8), ("urandom", 9)):
        node = dev / name
        if not node.exists():
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
            os.chmod(node, 0o666)


class Chroot:
    """Runs commands in the exported filesystem as the image would."""

    def __init__(self, rootfs: Path, config: dict, settings: dict[str, str]):
        self.rootfs = rootfs
        self.user = config["User"]
        self.entrypoint = config["Entrypoint"]
        image_env = dict(item.split("=", 1) for item in config.get("Env") or [])
        self.env = {**image_env, **settings}

    def argv(self, *args: str) -> list[str]:
        return ["chroot", f"--userspec={self.user}", str(self.rootfs), *args]

    def entry(self, *args: str) -> list[str]:
        return self.argv(*self.entrypoint, *args)

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            self.entry(*args),
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        if done.returncode:
            raise SmokeFailure(
                f"entrypoint {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout


def get(port: int, path: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for_web(port: int, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"web exited {process.returncode} before answering")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SmokeFailure(f"web did not answer /healthz within {seconds:.0f} s")


def process_uids(pid: int) -> set[int]:
    """The real and effective UIDs of a process and of its children."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    uids: set[int] = set()
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                uids.update(int(value) for value in line.split()[1:])
    return uids


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn drains on TERM
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def psql(sql: str) -> None:
    run(["psql", f"{POSTGRES}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])


def drop_redis_keys() -> None:
    cli = ["redis-cli", "-h", "127.0.0.1", "-n", REDIS_URL.rsplit("/", 1)[-1]]
    keys = run([*cli, "--scan", "--pattern", f"{KEY_PREFIX}*"]).stdout.split()
    for start in range(0, len(keys), 500):
        run([*cli, "DEL", *keys[start : start + 500]])


def smoke(image: str, workdir: Path) -> None:
    details = inspect(image)
    config = details["Config"]
    user = config.get("User") or "0"
    uid = int(user.split(":")[0]) if user.split(":")[0].isdigit() else -1
    check(uid > 0, f"the image runs as a numeric non-root user ({user})")
    labels = config.get("Labels") or {}
    for name in LABELS:
        value = labels.get(f"org.opencontainers.image.{name}", "")
        check(bool(value), f"label org.opencontainers.image.{name} = {value}")
    # podman reports a Docker-format image's HEALTHCHECK beside its config.
    healthcheck = (details.get("Healthcheck") or config.get("Healthcheck") or {}).get(
        "Test"
    ) or []
    check(
        any("/healthz" in part for part in healthcheck),
        "a HEALTHCHECK probes /healthz",
    )

    rootfs = workdir / "rootfs"
    rootfs.mkdir()
    log(f"exporting {image} into {rootfs}")
    export_rootfs(image, rootfs)
    found = [
        f"{folder}/{name}"
        for folder in ("usr/bin", "usr/local/bin")
        for name in COMPILERS
        if (rootfs / folder / name).exists()
    ]
    check(not found, f"no compiler in the image ({', '.join(found) or 'none found'})")

    port = free_port()
    settings = {
        "MLGOV_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": KEY_PREFIX,
        "PORT": str(port),
        # Loopback only on this machine; the image's default binds 0.0.0.0:$PORT.
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "METRICS_ALLOWED_IPS": "127.0.0.1",
    }
    box = Chroot(rootfs, config, settings)

    box.run("migrate")
    log("ok: migrate")
    box.run("manage", "check", "--deploy", "--fail-level", "WARNING")
    log("ok: manage check --deploy with production settings")
    token = box.run("manage", "issue_token", "smoke", "--role", "viewer").strip()
    check(len(token) > 20, "manage issue_token printed a token")
    box.run("worker", "--once", "--waiver-check-seconds", "0")
    log("ok: worker --once")
    box.run("scheduler", "--once")
    log("ok: scheduler --once")
    pdf = box.run(
        "manage",
        "shell",
        "-c",
        "from weasyprint import HTML; "
        "print(HTML(string='<p>mlgov</p>').write_pdf()[:5].decode())",
    ).strip()
    check(pdf.endswith("%PDF-"), f"WeasyPrint renders a PDF in the image ({pdf!r})")

    web_log = (workdir / "web.log").open("w")
    web = subprocess.Popen(
        box.entry("web"), env=box.env, stdout=web_log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_web(port, web)
        check(get(port, "/healthz")[0] == 200, f"web on port {port}: /healthz 200")
        status, body = get(port, "/readyz")
        check(status == 200, f"/readyz 200 ({body.decode()[:120]})")
        status, _ = get(
            port, "/api/v1/models/", headers={"Authorization": f"Bearer {token}"}
        )
        check(status == 200, f"token-authenticated GET /api/v1/models/ {status}")
        status, _ = get(port, "/api/v1/models/")
        check(status in (401, 403), f"the call without a token is refused ({status})")
        manifest = json.loads(
            (rootfs / "app/staticfiles/staticfiles.json").read_text()
        )["paths"]
        original, hashed = next(iter(sorted(manifest.items())))
        status, _ = get(port, f"/static/{hashed}")
        check(status == 200, f"collected static file /static/{hashed} ({original}) 200")
        uids = process_uids(web.pid)
        check(uids == {uid}, f"web and its workers run as UID {uid} ({sorted(uids)})")
        probe = subprocess.run(
            box.argv(*healthcheck[1:]) if healthcheck[0] == "CMD" else [],
            env=box.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        check(probe.returncode == 0, f"the image's HEALTHCHECK passes {probe.stderr}")
    except BaseException:
        web_log.flush()
        log("web log:\n" + (workdir / "web.log").read_text()[-4000:])
        raise
    finally:
        stop(web)
        web_log.close()
    log(f"web stopped (exit {web.returncode})")


def main() -> int:
    image = sys.argv[1] if len(sys.argv) > 1 else "localhost/mlgov:dev"
    if os.geteuid() != 0:
        log("needs root (chroot, mknod)")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mlgov-image-smoke-"))
    started = time.monotonic()
    try:
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"CREATE DATABASE {DATABASE}")
        smoke(image, workdir)
    except (SmokeFailure, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or ""
        log(f"FAILED: {error}\n{detail}")
        return 1
    finally:
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        drop_redis_keys()
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
