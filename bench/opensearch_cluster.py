#!/usr/bin/env python3
"""A real OpenSearch cluster on this machine, from Maven artifacts, for tests and benchmarks.

    python bench/opensearch_cluster.py --data DIR [--nodes 3] [--port 9200] [--fetch-only]

It fetches what it needs (OpenSearch's jars with Maven, into a cache outside the
repository; the launcher `bench/opensearch/NewsNode.java`, compiled at first use),
starts one JVM per node on loopback, prints the HTTP base URL as the FIRST line of
stdout once the cluster is green (yellow is enough with one node), and runs until
SIGTERM or SIGINT, then stops every node it started.

Ports: node i serves HTTP on --port + i and transport on --transport-port + i
(default --port + 100). Each node keeps its data in DIR/node-i/data and its log in
DIR/node-i.log; DIR/cluster.json names the URL and each node's pid and ports while
the cluster runs.

A node that dies after the cluster is ready stops the others (exit 1), unless
--survive-node-loss: then it is reported on stderr and the others keep running,
so a test can SIGKILL one node (its pid is in cluster.json) and watch the rest.

When something is missing (Java, Maven, the artifacts), it says so in one line on
stderr, starting ``missing:``, and exits with status 3 (tests skip on that).
Nothing here needs more than Python's standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "opensearch" / "pom.xml"
LAUNCHER = HERE / "opensearch" / "NewsNode.java"
#: The line that runs on Java 17 (3.x needs Java 21); bump with the pom's default.
DEFAULT_VERSION = "2.19.6"
DEFAULT_HEAP = ("256m", "512m")  # -Xms, -Xmx per node: the machine is shared
#: C1 only: a node is ready in about half the time (measured in docs/opensearch.md).
QUICK_START = "-XX:TieredStopAtLevel=1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MISSING = 3  # exit status: a prerequisite is missing (tests skip on it)
FAILED = 1  # exit status: the cluster did not come up, or a node died


class Missing(Exception):
    """A prerequisite is missing; the message is the one line to print."""


class Stopped(Exception):
    """A signal (or the end of stdin) asked to stop before the cluster was ready."""


def log(message: str) -> None:
    print(f"opensearch_cluster: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    """Where the artifacts go: $NEWSSEARCH_CACHE, else $XDG_CACHE_HOME/newssearch, else ~/.cache/newssearch."""
    if os.environ.get("NEWSSEARCH_CACHE"):
        return Path(os.environ["NEWSSEARCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newssearch"


def version_dir(version: str, cache: Path | None = None) -> Path:
    return (cache or cache_root()) / "opensearch" / version


def find_java() -> str:
    """`java` from $JAVA_HOME, else from PATH (Missing when neither has one)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if not java:
        raise Missing("missing: Java (no `java` on PATH and no $JAVA_HOME); OpenSearch 2.19 runs on Java 11 to 21 (17 on these machines)")
    return java


def find_javac(java: str) -> str:
    javac = Path(java).with_name("javac")
    if javac.exists():
        return str(javac)
    found = shutil.which("javac")
    if not found:
        raise Missing("missing: javac (a JDK, not only a JRE) to compile bench/opensearch/NewsNode.java")
    return found


def lib_dir(version: str, cache: Path | None = None) -> Path:
    return version_dir(version, cache) / "lib"


def pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()[:12]


def artifacts_present(version: str, cache: Path | None = None) -> bool:
    """True once a fetch of `version` with today's POM completed (it leaves a
    marker naming the POM last; an edited POM means fetching again)."""
    try:
        marker = (lib_dir(version, cache) / ".complete").read_text()
    except OSError:
        return False
    return f"pom {pom_digest()}" in marker


def fetch_artifacts(version: str, cache: Path | None = None, *, allow_fetch: bool = True) -> Path:
    """The folder of OpenSearch `version`'s jars, fetched with Maven if not there yet."""
    lib = lib_dir(version, cache)
    if artifacts_present(version, cache):
        return lib
    if not allow_fetch:
        raise Missing(f"missing: OpenSearch {version} artifacts in {lib} "
                      f"(fetch them with: python bench/opensearch_cluster.py --fetch-only)")
    mvn = shutil.which("mvn")
    if not mvn:
        raise Missing(f"missing: Maven (`mvn`), to fetch the OpenSearch {version} artifacts into {lib}")
    lib.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="lib-", dir=lib.parent))
    command = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(POM),
               f"-Dopensearch.version={version}", "dependency:copy-dependencies",
               f"-DoutputDirectory={staging}"]
    log(f"fetching OpenSearch {version} with Maven into {lib} …")
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    jars = list(staging.glob("*.jar"))
    if done.returncode != 0 or not any(j.name.startswith(f"opensearch-{version}") for j in jars):
        shutil.rmtree(staging, ignore_errors=True)
        try:
            lib.parent.rmdir()  # leave no empty version folder behind
        except OSError:
            pass
        why = maven_error(done.stdout) or f"mvn exited {done.returncode}"
        raise Missing(f"missing: OpenSearch {version} artifacts (Maven could not fetch them: {why[:300]})")
    (staging / ".complete").write_text(f"{len(jars)} jars, pom {pom_digest()}\n")
    if lib.exists():  # a concurrent fetch won, or a partial one was left: keep a complete one
        if artifacts_present(version, cache):
            shutil.rmtree(staging, ignore_errors=True)
            return lib
        shutil.rmtree(lib, ignore_errors=True)
    try:
        staging.rename(lib)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not artifacts_present(version, cache):
            raise
    return lib


def maven_error(output: str) -> str | None:
    """Maven's first [ERROR] line, without colour codes and the [ERROR] tag."""
    for line in output.splitlines():
        line = ANSI.sub("", line).strip()
        if line.startswith("[ERROR]") and line[7:].strip():
            return line[7:].strip()
    return None


def compile_launcher(java: str, version: str, cache: Path | None = None) -> Path:
    """NewsNode compiled against `version`'s jars (once per source text): its classes folder."""
    source = LAUNCHER.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:12]
    classes = version_dir(version, cache) / f"classes-{digest}"
    if (classes / "NewsNode.class").exists():
        return classes
    javac = find_javac(java)
    staging = Path(tempfile.mkdtemp(prefix="classes-", dir=classes.parent))
    done = subprocess.run([javac, "-nowarn", "-d", str(staging), "-cp",
                           str(lib_dir(version, cache) / "*"), str(LAUNCHER)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"javac failed on {LAUNCHER}:\n{done.stdout}")
    try:
        staging.rename(classes)
    except OSError:  # compiled concurrently by another launcher
        shutil.rmtree(staging, ignore_errors=True)
    return classes


def prepare(version: str, *, allow_fetch: bool = True, cache: Path | None = None) -> tuple[str, str]:
    """Check Java, fetch the jars, compile the launcher: (java, classpath)."""
    java = find_java()
    lib = fetch_artifacts(version, cache, allow_fetch=allow_fetch)
    classes = compile_launcher(java, version, cache)
    return java, f"{classes}{os.pathsep}{lib / '*'}"


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as the node's server sockets do: a closed connection in TIME_WAIT does not hold the port
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_run(count: int) -> tuple[int, int]:
    """A first HTTP port and a first transport port, each with `count` free
    consecutive ports from it (nodes are numbered upwards from them): for
    callers that start clusters beside others, as the tests and benchmarks do."""
    for _ in range(50):
        picked = []
        for _ in range(2):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))  # the kernel's pick
                picked.append(s.getsockname()[1])
        http, transport = picked
        wanted = [http + i for i in range(count)] + [transport + i for i in range(count)]
        if len(set(wanted)) == len(wanted) and all(port_free(p) for p in wanted):
            return http, transport
    raise RuntimeError(f"no run of {count} free ports found on 127.0.0.1")


def pid_gone(pid: int) -> bool:
    """True when `pid` no longer runs (gone, or a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


@dataclass
class NodeProcess:
    name: str
    http_port: int
    transport_port: int
    home: Path
    log_path: Path
    process: subprocess.Popen | None = None
    log_file: object = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Cluster:
    """Nodes in JVMs of their own, started and stopped together."""

    def __init__(self, data: Path, *, nodes: int = 1, port: int = 9200,
                 transport_port: int | None = None, cluster_name: str = "newssearch",
                 version: str = DEFAULT_VERSION, heap: tuple[str, str] = DEFAULT_HEAP,
                 jvm_options: tuple[str, ...] = ()):
        self.data = data.resolve()
        self.jvm_options = list(jvm_options)
        self.version = version
        self.cluster_name = cluster_name
        self.heap = heap
        transport_port = transport_port if transport_port is not None else port + 100
        self.nodes = [NodeProcess(name=f"node-{i}", http_port=port + i,
                                  transport_port=transport_port + i,
                                  home=self.data / f"node-{i}",
                                  log_path=self.data / f"node-{i}.log")
                      for i in range(nodes)]
        self.url = f"http://127.0.0.1:{port}"

    def node_settings(self, node: NodeProcess) -> list[str]:
        settings = {
            "cluster.name": self.cluster_name,
            "node.name": node.name,
            "path.home": str(node.home),
            "path.data": str(node.home / "data"),
            "http.port": str(node.http_port),
            "transport.port": str(node.transport_port),
        }
        if len(self.nodes) == 1:
            settings["discovery.type"] = "single-node"
        else:
            settings["discovery.seed_hosts"] = ",".join(
                f"127.0.0.1:{n.transport_port}" for n in self.nodes)
            settings["cluster.initial_cluster_manager_nodes"] = ",".join(n.name for n in self.nodes)
        return [f"{key}={value}" for key, value in settings.items()]

    def start(self, java: str, classpath: str) -> None:
        busy = [p for n in self.nodes for p in (n.http_port, n.transport_port) if not port_free(p)]
        if busy:
            raise RuntimeError(f"port(s) already in use on 127.0.0.1: {', '.join(map(str, busy))}")
        self.data.mkdir(parents=True, exist_ok=True)
        xms, xmx = self.heap
        for node in self.nodes:
            node.home.mkdir(parents=True, exist_ok=True)
            node.log_file = open(node.log_path, "ab")
            command = [java, f"-Xms{xms}", f"-Xmx{xmx}", "-XX:+ExitOnOutOfMemoryError",
                       "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8",
                       "-Dlog4j2.disable.jmx=true", "-Dnewsnode.watchStdin=true",
                       *self.jvm_options, "-cp", classpath, "NewsNode", *self.node_settings(node)]
            # Own process group: a Ctrl-C at a terminal reaches only this launcher,
            # which stops the nodes in order. The stdin pipe stops them if it dies.
            node.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                            stdout=node.log_file, stderr=subprocess.STDOUT,
                                            cwd=node.home, start_new_session=True)

    def health(self, timeout: float = 5.0) -> dict | None:
        want = "green" if len(self.nodes) > 1 else "yellow"
        query = (f"/_cluster/health?wait_for_status={want}&wait_for_nodes={len(self.nodes)}"
                 f"&timeout={int(timeout)}s")
        try:
            with urllib.request.urlopen(self.url + query, timeout=timeout + 5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:  # 408 when the wait timed out
            try:
                return json.load(error)
            except ValueError:
                return None
        except (OSError, ValueError):
            return None

    def dead(self) -> list[NodeProcess]:
        return [n for n in self.nodes if not n.alive()]

    def wait_ready(self, deadline: float, stop: threading.Event) -> dict:
        """Block until the cluster reports green (yellow with one node) and every node has joined."""
        while not stop.is_set():
            dead = self.dead()
            if dead:
                node = dead[0]
                raise RuntimeError(f"{node.name} exited with status {node.process.returncode} "
                                   f"while starting; its log ({node.log_path}) ends:\n{node.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster was not ready in time; logs in {self.data}")
            health = self.health(timeout=3)
            if health and not health.get("timed_out") and \
                    health.get("status") in ("green", "yellow") and \
                    health.get("number_of_nodes") == len(self.nodes):
                if len(self.nodes) == 1 or health["status"] == "green":
                    return health
            if health is None:
                stop.wait(0.25)  # not listening yet: nothing to wait on but the socket
        raise Stopped

    def write_state(self) -> Path:
        state = {"url": self.url, "cluster_name": self.cluster_name, "version": self.version,
                 "launcher_pid": os.getpid(),
                 "nodes": [{"name": n.name, "pid": n.pid, "http_port": n.http_port,
                            "transport_port": n.transport_port, "log": str(n.log_path)}
                           for n in self.nodes]}
        path = self.data / "cluster.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(path)
        return path

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM every node (each closes itself), then SIGKILL what is left after `grace`."""
        running = [n for n in self.nodes if n.alive()]
        for node in running:
            try:
                node.process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for node in running:
            try:
                node.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{node.name} (pid {node.pid}) ignored SIGTERM for {grace:.0f}s: killing it")
                node.process.kill()
                node.process.wait()
        for node in self.nodes:
            if node.process and node.process.stdin:
                try:
                    node.process.stdin.close()
                except OSError:
                    pass
            if node.log_file:
                node.log_file.close()
                node.log_file = None
        try:
            (self.data / "cluster.json").unlink()
        except FileNotFoundError:
            pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="folder for the nodes' data and logs (required unless --fetch-only)")
    parser.add_argument("--nodes", type=int, default=1, help="how many nodes (default 1)")
    parser.add_argument("--port", type=int, default=9200, help="HTTP port of the first node (default 9200)")
    parser.add_argument("--transport-port", type=int, default=None,
                        help="transport port of the first node (default --port + 100)")
    parser.add_argument("--cluster-name", default="newssearch")
    parser.add_argument("--version", default=os.environ.get("NEWSSEARCH_OPENSEARCH_VERSION", DEFAULT_VERSION),
                        help=f"OpenSearch version (default {DEFAULT_VERSION}; 2.19.x on Java 17)")
    parser.add_argument("--heap", default=f"{DEFAULT_HEAP[0]}:{DEFAULT_HEAP[1]}",
                        help="per node -Xms:-Xmx (default %(default)s)")
    parser.add_argument("--quick-start", action="store_true",
                        help=f"JIT with C1 only ({QUICK_START}): half the start time or less, "
                             "slower once running; for tests, not for benchmarks of the engine")
    parser.add_argument("--jvm-option", action="append", default=[], metavar="OPTION",
                        help="one more option for each node's JVM, written --jvm-option=-XX:... (repeatable)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds to wait for the cluster to be ready (default %(default)s)")
    parser.add_argument("--fetch-only", action="store_true",
                        help="fetch the artifacts and compile the launcher, start nothing")
    parser.add_argument("--no-fetch", action="store_true",
                        help="never run Maven: say what is missing instead (tests use this)")
    parser.add_argument("--stop-on-stdin-eof", action="store_true",
                        help="also stop when standard input closes (for a parent that may die)")
    parser.add_argument("--survive-node-loss", action="store_true",
                        help="once the cluster is ready, a node that dies is reported and the "
                             "others keep running (tests that kill a node; see cluster.json for pids)")
    args = parser.parse_args(argv)
    if not args.fetch_only and args.data is None:
        parser.error("--data DIR is required (or --fetch-only)")
    if args.nodes < 1:
        parser.error("--nodes must be at least 1")
    if ":" not in args.heap:
        parser.error("--heap is XMS:XMX, e.g. 256m:512m")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame):
        received.append(signum)
        stop.set()

    # Handlers first, so a signal during the fetch or the start stops what began.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        java, classpath = prepare(args.version, allow_fetch=not args.no_fetch)
    except Missing as missing:
        print(str(missing), file=sys.stderr, flush=True)
        return MISSING
    if args.fetch_only:
        jars = len(list(lib_dir(args.version).glob("*.jar")))
        print(f"OpenSearch {args.version}: {jars} jars in {lib_dir(args.version)}; launcher compiled", flush=True)
        return 0

    if args.stop_on_stdin_eof:
        def watch_stdin():
            # The raw descriptor, not sys.stdin: a daemon thread blocked in a
            # buffered read holds its lock and would abort interpreter shutdown.
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            stop.set()
        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    cluster = Cluster(args.data, nodes=args.nodes, port=args.port,
                      transport_port=args.transport_port, cluster_name=args.cluster_name,
                      version=args.version, heap=tuple(args.heap.split(":", 1)),
                      jvm_options=((QUICK_START,) if args.quick_start else ()) + tuple(args.jvm_option))
    started = time.monotonic()
    try:
        try:
            cluster.start(java, classpath)
        except RuntimeError as error:
            log(str(error))
            return FAILED
        cluster.write_state()
        try:
            health = cluster.wait_ready(started + args.timeout, stop)
        except RuntimeError as error:
            log(str(error))
            return FAILED
        except Stopped:
            log("stopped while starting")
            return 0
        print(cluster.url, flush=True)
        log(f"{len(cluster.nodes)} node(s) of OpenSearch {args.version} {health['status']} at {cluster.url} "
            f"in {time.monotonic() - started:.1f}s (pids {', '.join(str(n.pid) for n in cluster.nodes)}; "
            f"state in {args.data / 'cluster.json'}); SIGTERM or Ctrl-C stops them")
        reported: set[str] = set()
        while not stop.wait(1.0):
            dead = [n for n in cluster.dead() if n.name not in reported]
            if dead and args.survive_node_loss:
                for node in dead:  # the others carry on: a replica is what they are for
                    log(f"{node.name} (pid {node.pid}) exited with status "
                        f"{node.process.returncode}; the others keep running")
                    reported.add(node.name)
            elif dead:
                node = dead[0]
                log(f"{node.name} (pid {node.pid}) exited with status {node.process.returncode}; "
                    f"stopping the others. Its log ends:\n{node.log_tail()}")
                return FAILED
        return 0
    finally:
        cluster.stop()
        if received:
            log(f"stopped {len(cluster.nodes)} node(s) on {signal.Signals(received[0]).name}")
        elif stop.is_set():
            log(f"stopped {len(cluster.nodes)} node(s): standard input closed")


if __name__ == "__main__":
    sys.exit(main())
