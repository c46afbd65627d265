"""Benchmarks: strawberry_channels vs strawberry.channels vs a raw Channels consumer.

Usage: ``python benchmarks/run.py [--quick] [--repeats N] [--only SCENARIO ...]``
(``nox -s bench`` runs it). Needs: Redis on 127.0.0.1:6379 for the Redis scenarios and
RabbitMQ on 127.0.0.1:5672 (guest/guest) for the RabbitMQ one (each skipped when absent),
``wrk`` for the HTTP scenarios (falls back to the built-in aiohttp load generator when
absent). Loopback only; every wait is bounded.

Each measurement starts fresh server process(es) for one contender, lets a load-generator
process (``client.py``, or ``wrk``) set up, snapshots the server's CPU time, runs the
measured part, and snapshots again. Contenders alternate (the order rotates every repeat);
the table quotes medians over the repeats.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CHART = ROOT / "docs" / "img" / "bench.png"
PERF_DOC = ROOT / "docs" / "performance.md"
PY = sys.executable
# Server stderr (warnings, tracebacks at teardown) goes here, not into the table output.
SERVER_LOG = Path(tempfile.gettempdir()) / "strawberry-channels-bench-server.log"
CONTENDERS = ("ours", "strawberry", "raw")
X = "\u00d7"  # the multiplication sign of ratios
LABELS = {"ours": "strawberry_channels", "strawberry": "strawberry.channels", "raw": "raw consumer"}
sys.path.insert(0, str(HERE))

from shared_schema import FANOUT, FANOUT_SHARED, HELLO, HELLO_RESULT, LIST, LIST_RESULT  # noqa: E402


@dataclass
class Scenario:
    name: str
    title: str
    unit: str
    kind: str  # http | stream | fanout | churn | idle
    vs_strawberry: float | None  # target ratio ours / strawberry.channels
    vs_raw: float | None = None  # target ratio ours / raw
    higher_is_better: bool = True
    layer: str = "memory"
    servers: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    # What the targets are judged on: "wall" (the medians of the rate) or "cpu" (the medians
    # of delivered messages per server CPU-second).
    judge: str = "wall"


def scenarios(quick: bool) -> list[Scenario]:
    http_seconds = 2 if quick else 8
    k, m = (50, 100) if quick else (100, 1000)
    # Shared subscriptions (issue 13): strawberry_channels subscribes to the shared field, the
    # others to the fan-out document; the lean load generator (lean_ws.py) keeps up with them.
    shared = {"shared": True, "client": "fanout_lean"}
    many_k, many_m = (1000, 20) if quick else (1000, 200)
    events_per_second = 20
    latency_m = 60 if quick else 200
    return [
        Scenario(
            "http_small",
            "HTTP small query",
            "req/s",
            "http",
            6.0,
            params={"query": HELLO, "seconds": http_seconds},
        ),
        Scenario(
            "http_list",
            "HTTP list query (100 objects)",
            "req/s",
            "http",
            8.0,
            0.6,
            params={"query": LIST, "seconds": http_seconds},
        ),
        Scenario(
            "stream",
            "WebSocket stream",
            "msgs/s",
            "stream",
            3.0,
            params={"n": 2000 if quick else 50000},
        ),
        Scenario(
            "fanout_memory",
            f"Fan-out {k}x{m}, in-memory layer",
            "msgs/s",
            "fanout",
            2.5,
            0.9,
            params={"k": k, "m": m},
        ),
        Scenario(
            "churn",
            "Subscribe churn",
            "ops/s",
            "churn",
            2.0,
            params={"ops": 100 if quick else 600, "concurrency": 8},
        ),
        Scenario(
            "idle",
            "Memory per idle subscription",
            "KiB",
            "idle",
            0.9,
            higher_is_better=False,
            params={"n": 300 if quick else 2000},
        ),
        Scenario(
            "event_memory",
            "Memory retained per subscription event (10,000 events)",
            "bytes",
            "event_memory",
            None,
            higher_is_better=False,
            params={"events": 10_000},
        ),
        Scenario(
            "fanout_redis",
            f"Fan-out {k}x{m}, RedisChannelLayer, 2 servers",
            "msgs/s",
            "fanout",
            2.0,
            layer="redis",
            servers=2,
            params={"k": k, "m": m},
        ),
        Scenario(
            "fanout_redis_pubsub",
            f"Fan-out {k}x{m}, RedisPubSubChannelLayer, 2 servers",
            "msgs/s",
            "fanout",
            2.0,
            layer="redis-pubsub",
            servers=2,
            params={"k": k, "m": m},
        ),
        Scenario(
            "fanout_rabbitmq",
            f"Fan-out {k}x{m}, RabbitmqChannelLayer, 2 servers",
            "msgs/s",
            "fanout",
            1.5,
            layer="rabbitmq",
            servers=2,
            params={"k": k, "m": m},
        ),
        Scenario(
            "shared_fanout_memory",
            f"Shared fan-out {k}x{m}, in-memory layer",
            "msgs/s",
            "fanout",
            10.0,
            3.0,
            judge="cpu",
            params={"k": k, "m": m, **shared},
        ),
        Scenario(
            "shared_fanout_many",
            f"Shared fan-out {many_k}x{many_m}, in-memory layer",
            "msgs/s",
            "fanout",
            20.0,
            judge="cpu",
            params={"k": many_k, "m": many_m, "timeout": 600, **shared},
        ),
        Scenario(
            "shared_fanout_redis_pubsub",
            f"Shared fan-out {k}x{m}, RedisPubSubChannelLayer, 2 servers",
            "msgs/s",
            "fanout",
            5.0,
            judge="cpu",
            layer="redis-pubsub",
            servers=2,
            params={"k": k, "m": m, **shared},
        ),
        Scenario(
            "shared_latency",
            f"p99 event-to-client latency, shared fan-out 100 subscribers, "
            f"{events_per_second} events/s",
            "ms",
            "fanout",
            None,
            higher_is_better=False,
            params={
                "k": 100,
                "m": latency_m,
                "interval": 1 / events_per_second,
                "latency": True,
                **shared,
            },
        ),
    ]


# --------------------------------------------------------------------------- processes


# On a machine with two or more cores, a single server process runs on core 0 and the load
# generator on core 1, so that they do not migrate onto each other's core (two-server
# scenarios leave their servers free to use every core).
PINNING = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
SERVER_CORES = {0}
CLIENT_CORES = set(range(1, os.cpu_count() or 1))


def pinned(cores: set[int] | None) -> Any:
    """A preexec_fn restricting the child process to ``cores`` (None: no pinning)."""
    if not PINNING or cores is None:
        return None
    return lambda: os.sched_setaffinity(0, cores)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def servers(contender: str, layer: str, count: int) -> Iterator[list[tuple[int, psutil.Process]]]:
    started: list[tuple[int, subprocess.Popen[bytes]]] = []
    try:
        for _ in range(count):
            port = free_port()
            proc = subprocess.Popen(
                [PY, str(HERE / "server.py"), contender, str(port), layer],
                cwd=HERE,
                stderr=SERVER_LOG.open("ab"),
                preexec_fn=pinned(SERVER_CORES if count == 1 else None),
            )
            started.append((port, proc))
        for port, proc in started:
            wait_port(port, proc)
        yield [(port, psutil.Process(proc.pid)) for port, proc in started]
    finally:
        for _, proc in started:
            stop(proc)


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def run_client(
    scenario: str, params: dict[str, Any], procs: list[psutil.Process], timeout: float = 300
) -> dict[str, Any]:
    """Run client.py; measure the servers' CPU time between GO and RESULT."""
    client = subprocess.Popen(
        [PY, str(HERE / "client.py"), scenario, json.dumps(params)],
        cwd=HERE,
        preexec_fn=pinned(CLIENT_CORES),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None
    assert client.stdout is not None
    try:
        line = client.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"client failed during setup: {line!r}")
        rss = sum(p.memory_info().rss for p in procs)
        cpu = cpu_seconds(procs)
        client.stdin.write("GO\n")
        client.stdin.flush()
        line = client.stdout.readline()
        cpu = cpu_seconds(procs) - cpu
        if not line.startswith("RESULT "):
            raise RuntimeError(f"client failed: {line!r}")
        result: dict[str, Any] = json.loads(line[len("RESULT ") :])
        result["server_cpu"] = cpu
        result["server_rss"] = rss
        client.wait(timeout)
        return result
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(5)


def post(url: str, body: bytes) -> Any:
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# --------------------------------------------------------------------------- scenarios


def measure_http(sc: Scenario, contender: str) -> dict[str, Any]:
    query = sc.params["query"]
    body = json.dumps({"query": query}).encode()
    expected = LIST_RESULT if query == LIST else HELLO_RESULT
    with servers(contender, sc.layer, 1) as [(port, proc)]:
        url = f"http://127.0.0.1:{port}/graphql"
        answer = post(url, body)
        if answer != expected:
            raise RuntimeError(f"{contender} answered {answer!r}")
        wrk = shutil.which("wrk")
        if wrk is None:
            http = {"url": url, "body": body.decode(), "concurrency": 32}
            run_client("http", {**http, "duration": 1}, [proc])  # warm-up
            return run_client("http", {**http, "duration": sc.params["seconds"]}, [proc])
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                'wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(body.decode())}\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
            )
        try:
            command = [wrk, "-t1", "-c32", "-s", script.name, url]
            subprocess.run(
                [*command[:1], "-d1s", *command[1:]],
                capture_output=True,
                check=True,
                timeout=60,
                preexec_fn=pinned(CLIENT_CORES),
            )
            cpu = cpu_seconds([proc])
            out = subprocess.run(
                [*command[:1], f"-d{sc.params['seconds']}s", *command[1:]],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
                preexec_fn=pinned(CLIENT_CORES),
            ).stdout
            cpu = cpu_seconds([proc]) - cpu
        finally:
            os.unlink(script.name)
        requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errors = re.search(r"Socket errors: .*", out)
        failed = int(bad.group(1)) if bad else 0
        if errors:
            failed += sum(int(n) for n in re.findall(r"\d+", errors.group(0)))
        return {
            "delivered": requests - failed,
            "expected": requests,
            "in_order": failed == 0,
            "rate": rate,
            "server_cpu": cpu,
        }


def measure(sc: Scenario, contender: str) -> dict[str, Any]:
    if sc.kind == "event_memory":
        # In-process, on the executor each contender runs (see event_memory.py).
        script = str(Path(__file__).with_name("event_memory.py"))
        done = subprocess.run(
            [sys.executable, script, contender, str(sc.params["events"])],
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    if sc.kind == "http":
        return measure_http(sc, contender)
    with servers(contender, sc.layer, sc.servers) as running:
        urls = [f"ws://127.0.0.1:{port}/graphql" for port, _ in running]
        procs = [proc for _, proc in running]
        if sc.kind == "stream":
            return run_client("stream", {"url": urls[0], **sc.params}, procs)
        if sc.kind == "fanout":
            publish = f"http://127.0.0.1:{running[0][0]}/publish"
            group = f"fan-{uuid.uuid4().hex[:12]}"
            params = {"urls": urls, "publish": publish, "group": group, **sc.params}
            client = params.pop("client", "fanout")
            shared = params.pop("shared", False)
            if shared:
                params["query"] = FANOUT_SHARED if contender == "ours" else FANOUT
            latency = params.pop("latency", False)
            result = run_client(client, params, procs, timeout=params.get("timeout", 120) + 60)
            # Each server process must run one shared execution for all its subscribers
            # (strawberry_channels) or none at all (the others serve it unshared).
            want = 1 if shared and contender == "ours" else 0
            counts = [s["executions"] for s in result.get("shared", [])]
            if shared and counts != [want] * len(counts):
                raise RuntimeError(f"shared executions per server: {counts}, expected {want}")
            if latency:
                result["rate"] = result["p99_ms"]
            return result
        if sc.kind == "churn":
            return run_client("churn", {"url": urls[0], **sc.params}, procs)
        if sc.kind == "idle":
            run_client("idle", {"url": urls[0], "n": 50}, procs)  # warm-up
            time.sleep(0.5)
            base = sum(p.memory_info().rss for p in procs)
            result = run_client("idle", {"url": urls[0], **sc.params}, procs)
            result["rate"] = (result["server_rss"] - base) / sc.params["n"] / 1024
            return result
    raise ValueError(sc.kind)


# --------------------------------------------------------------------------- reporting


def available(contender: str) -> dict[str, str | None]:
    """For "http" and "ws": None when the contender can serve it, else why not."""
    check = (
        "import json, settings; settings.configure('memory'); import contenders; "
        f"print(json.dumps([c is not None for c in contenders.consumers({contender!r})]))"
    )
    done = subprocess.run([PY, "-c", check], cwd=HERE, capture_output=True, text=True)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["failed to import"])[-1]
        return {"http": why, "ws": why}
    http, ws = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "http": None if http else "no GraphQLHTTPConsumer",
        "ws": None if ws else "no GraphQLWSConsumer",
    }


def redis_up(port: int = 6379) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 1):
            return True
    except OSError:
        return False


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for dist in (
        "strawberry-graphql",
        "channels",
        "channels-redis",
        "channels-rabbitmq",
        "django",
        "uvicorn",
        "websockets",
        "strawberry-channels",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "wrk": shutil.which("wrk") is not None,
    }


def summarize(sc: Scenario, samples: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "scenario": sc.name,
        "title": sc.title,
        "unit": sc.unit,
        "target_vs_strawberry": sc.vs_strawberry,
        "target_vs_raw": sc.vs_raw,
        "higher_is_better": sc.higher_is_better,
        "judge": sc.judge,
        "contenders": {},
    }
    for contender, runs in samples.items():
        good = [r for r in runs if "error" not in r]
        entry: dict[str, Any] = {"runs": runs, "errors": len(runs) - len(good)}
        if good:
            entry["median"] = statistics.median(r["rate"] for r in good)
            entry["zero_loss"] = all(
                r["delivered"] == r["expected"] and r["in_order"] for r in good
            )
            if sc.kind in ("stream", "fanout", "http"):
                per_cpu = [r["delivered"] / r["server_cpu"] for r in good if r["server_cpu"] > 0]
                if per_cpu:
                    entry["per_cpu_second"] = statistics.median(per_cpu)
            for key in ("p50_ms", "p99_ms", "client_busy"):
                if all(key in r for r in good):
                    entry[key] = statistics.median(r[key] for r in good)
        row["contenders"][contender] = entry

    def ratio(a: str, b: str, key: str = "median") -> float | None:
        x = row["contenders"].get(a, {}).get(key)
        y = row["contenders"].get(b, {}).get(key)
        return x / y if x and y else None

    row["vs_strawberry"] = ratio("ours", "strawberry")
    row["vs_raw"] = ratio("ours", "raw")
    row["cpu_vs_strawberry"] = ratio("ours", "strawberry", "per_cpu_second")
    row["cpu_vs_raw"] = ratio("ours", "raw", "per_cpu_second")
    row["raw_vs_strawberry"] = ratio("raw", "strawberry")

    def verdict(actual: float | None, target: float | None) -> str | None:
        if target is None:
            return None
        if actual is None:
            return "n/a"
        ok = actual >= target if sc.higher_is_better else actual <= target
        return "PASS" if ok else "FAIL"

    ours = row["contenders"].get("ours", {})
    prefix = "cpu_" if sc.judge == "cpu" else ""
    row["pass_vs_strawberry"] = verdict(row[f"{prefix}vs_strawberry"], sc.vs_strawberry)
    row["pass_vs_raw"] = verdict(row[f"{prefix}vs_raw"], sc.vs_raw)
    if ours and not ours.get("zero_loss", False):
        row["pass_vs_strawberry"] = "FAIL (loss)" if "median" in ours else "n/a"
    return row


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| scenario | strawberry_channels | strawberry.channels | raw consumer | "
        "vs strawberry.channels (target) | vs raw (target) |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in report["rows"]:
        cells = []
        for contender in CONTENDERS:
            entry = row["contenders"].get(contender, {})
            text = fmt(entry.get("median"), 1 if row["unit"] in ("KiB", "ms") else 0)
            if entry and entry.get("median") is not None and not entry.get("zero_loss", True):
                text += " (loss!)"
            cells.append(text)

        sign = "≥" if row["higher_is_better"] else "≤"
        judged = []
        per_cpu = row.get("judge") == "cpu"
        prefix = "cpu_" if per_cpu else ""
        for actual, target, verdict in (
            (row[f"{prefix}vs_strawberry"], row["target_vs_strawberry"], row["pass_vs_strawberry"]),
            (row[f"{prefix}vs_raw"], row["target_vs_raw"], row["pass_vs_raw"]),
        ):
            near = actual is not None and target is not None and abs(actual - target) < 0.01
            text = f"{fmt(actual, 3 if near else 2)}{X}"
            if per_cpu:
                text += " per CPU-s"
            if target is not None:
                text += f" ({sign} {target}{X}) **{verdict}**"
            judged.append(text)
        lines.append(
            f"| {row['title']} ({row['unit']}) | {' | '.join(cells)} | {' | '.join(judged)} |"
        )
    extra = [
        "",
        "| scenario | per server CPU-second: ours / strawberry.channels / raw | "
        "ours vs strawberry.channels | ours vs raw | latency p50 / p99 (ms): ours · "
        "strawberry.channels · raw |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in report["rows"]:
        if row["unit"] not in ("msgs/s", "req/s"):
            continue
        cs = row["contenders"]
        per_cpu = " / ".join(fmt(cs.get(c, {}).get("per_cpu_second")) for c in CONTENDERS)
        latency = " · ".join(
            f"{fmt(cs.get(c, {}).get('p50_ms'), 1)} / {fmt(cs.get(c, {}).get('p99_ms'), 1)}"
            for c in CONTENDERS
        )
        if "fan-out" not in row["title"].lower():
            latency = "-"
        extra.append(
            f"| {row['title']} | {per_cpu} | {fmt(row['cpu_vs_strawberry'], 2)}{X} | "
            f"{fmt(row['cpu_vs_raw'], 2)}{X} | {latency} |"
        )
    return "\n".join(lines + extra) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def key(row: dict[str, Any]) -> str:
        return "per_cpu_second" if row.get("judge") == "cpu" else "median"

    rows = [r for r in report["rows"] if r["contenders"].get("strawberry", {}).get(key(r))]
    names = [r["title"] + (" (per CPU-s)" if key(r) != "median" else "") for r in rows]
    width = max(11, 6.5 + 0.085 * max(map(len, names)))  # room for long row names
    fig, ax = plt.subplots(figsize=(width, 0.6 * len(rows) + 2.4))
    height = 0.38
    largest = 1.0
    for offset, contender, color in (
        (-height / 2, "ours", "#d6336c"),
        (height / 2, "raw", "#868e96"),
    ):
        values = []
        for r in rows:
            base = r["contenders"]["strawberry"][key(r)]
            value = r["contenders"].get(contender, {}).get(key(r))
            if value and not r["higher_is_better"]:
                values.append(base / value)  # memory, latency: show "times smaller"
            else:
                values.append(value / base if value else 0)
        largest = max(largest, *values)
        positions = [i + offset for i in range(len(rows))]
        ax.barh(positions, values, height, color=color, label=LABELS[contender])
        for y, value in zip(positions, values, strict=True):
            if value:
                ax.text(value * 1.03, y, f"{value:.2f}{X}", va="center", fontsize=8)
    for i, r in enumerate(rows):
        target = r["target_vs_strawberry"]
        if target:
            shown = 1 / target if not r["higher_is_better"] else target
            ax.plot([shown, shown], [i - 0.45, i + 0.05], color="black", lw=1.5)
    ax.axvline(1.0, color="#1c7ed6", ls="--", lw=1, label="strawberry.channels = 1")
    ax.set_xscale("log", base=2)
    ax.set_xlim(left=0.25, right=largest * 2)  # room for the labels
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.set_yticks(range(len(rows)), names)
    ax.invert_yaxis()
    ax.set_xlabel(
        "relative to strawberry.channels (memory, latency: times smaller); "
        "black tick = target\n(rows marked per CPU-s: messages per server CPU-second)"
    )
    # Above the bars, so that it never runs into the axis label, whatever the number of rows.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    ax.set_title(
        f"strawberry-channels benchmarks ({report['mode']}, medians of {report['repeats']} runs)",
        pad=24,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def update_doc(report: dict[str, Any], table: str) -> None:
    """Replace the generated part of docs/performance.md (between the bench markers)."""
    if not PERF_DOC.exists():
        return
    m = report["machine"]
    load = report["load_average"]
    generated = (
        f"Run on {report['date']} ({report['mode']} mode, medians of {report['repeats']} "
        f"runs per contender): {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"{m['os']}, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f". One-minute load average before / after the run: {load['before'][0]} / "
        f"{load['after'][0]}.\n\n" + table + "\n![Ratios to strawberry.channels](img/bench.png)\n"
    )
    text = PERF_DOC.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        PERF_DOC.write_text(f"{head}{start}\n{generated}{end}{tail}")


def write(report: dict[str, Any], stem: str) -> None:
    """Print the table; write ``stem``.json/.md and a chart (``latest``: also the docs page)."""
    table = markdown(report)
    print()
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / f"{stem}.md").write_text(table)
    if stem == "latest":
        chart(report, CHART)
        update_doc(report, table)
    else:
        chart(report, RESULTS / f"{stem}.png")
    print(f"wrote {RESULTS}/{stem}.json, {stem}.md and the chart")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (<3 min)")
    parser.add_argument("--repeats", type=int, help="runs per contender (default 3, quick 1)")
    parser.add_argument("--only", nargs="*", help="scenario names to run (writes partial.*)")
    parser.add_argument("--no-write", action="store_true", help="print only, write no files")
    parser.add_argument(
        "--render", action="store_true", help="only redraw table, chart and docs from latest.json"
    )
    args = parser.parse_args()
    if args.render:
        report = json.loads((RESULTS / "latest.json").read_text())
        write(report, "latest")
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    chosen = [s for s in scenarios(args.quick) if not args.only or s.name in args.only]

    support = {contender: available(contender) for contender in CONTENDERS}
    contenders = [c for c in CONTENDERS if not all(support[c].values())]
    for contender, why in support.items():
        for kind, reason in why.items():
            if reason:
                print(f"!! {LABELS[contender]}: {kind} scenarios skipped: {reason}")
    if not redis_up():
        print("!! Redis not reachable on 127.0.0.1:6379: Redis scenarios skipped")
        chosen = [s for s in chosen if not s.layer.startswith("redis")]
    if not redis_up(5672):
        print("!! RabbitMQ not reachable on 127.0.0.1:5672: RabbitMQ scenarios skipped")
        chosen = [s for s in chosen if s.layer != "rabbitmq"]

    SERVER_LOG.write_bytes(b"")
    print(f"server logs: {SERVER_LOG}")
    load_before = [round(x, 2) for x in os.getloadavg()]
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {
        s.name: {c: [] for c in contenders} for s in chosen
    }
    started = time.monotonic()
    for repeat in range(repeats):
        order = contenders[repeat % len(contenders) :] + contenders[: repeat % len(contenders)]
        for sc in chosen:
            for contender in order:
                if support[contender]["http" if sc.kind == "http" else "ws"]:
                    continue
                try:
                    result = measure(sc, contender)
                except Exception as exc:  # record and carry on with the other contenders
                    result = {"error": f"{type(exc).__name__}: {exc}"}
                samples[sc.name][contender].append(result)
                shown = f"{result['rate']:,.1f} {sc.unit}" if "rate" in result else result["error"]
                if "rate" in result and result["delivered"] != result["expected"]:
                    shown += f"  LOSS {result['delivered']}/{result['expected']}"
                print(
                    f"[{time.monotonic() - started:6.0f}s] run {repeat + 1}/{repeats} "
                    f"{sc.name:20} {LABELS[contender]:20} {shown}",
                    flush=True,
                )

    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "mode": "quick" if args.quick else "full",
        "repeats": repeats,
        "command": "nox -s bench" + (" -- --quick" if args.quick else ""),
        "machine": machine(),
        "load_average": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "seconds": round(time.monotonic() - started),
        "rows": [summarize(sc, samples[sc.name]) for sc in chosen],
    }
    if args.no_write:
        print()
        print(markdown(report))
    else:
        # Only a complete full run replaces the committed results and the docs page.
        write(report, "quick" if args.quick else "partial" if args.only else "latest")
    failed = [
        r["scenario"]
        for r in report["rows"]
        if str(r["pass_vs_strawberry"]).startswith("FAIL")
        or str(r["pass_vs_raw"]).startswith("FAIL")
    ]
    if failed:
        print("targets missed: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
