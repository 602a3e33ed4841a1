"""The one table `make bench` prints: each measure for each server, and our ratio to each peer."""

from __future__ import annotations

import os

MIB = 1024 * 1024
GROUP_PROJECTS = int(os.environ.get("BENCH_GROUP_PROJECTS", "1000"))
PEERS = ("pypiserver", "devpi")

# (label, how to read it from a result, unit, higher is better)
ROWS = [
    ("simple page, 1 conn, req/s", lambda r: r["page_1"].rps, "{:.0f}", True),
    ("simple page, 1 conn, p50 ms", lambda r: r["page_1"].p50_ms, "{:.2f}", False),
    ("simple page, 16 conn, req/s", lambda r: r["page_16"].rps, "{:.0f}", True),
    ("simple page, 16 conn, p50 ms", lambda r: r["page_16"].p50_ms, "{:.2f}", False),
    ("simple page, 16 conn, p99 ms", lambda r: r["page_16"].p99_ms, "{:.2f}", False),
    ("root index, 16 conn, req/s", lambda r: r["root_16"].rps, "{:.0f}", True),
    ("root index, 16 conn, p99 ms", lambda r: r["root_16"].p99_ms, "{:.2f}", False),
    ("miss (404), 16 conn, req/s", lambda r: r["miss_16"].rps, "{:.0f}", True),
    ("simple page with a token, 16 conn, req/s", lambda r: r["token_page_16"].rps, "{:.0f}",
     True),
    ("simple page with a token, 16 conn, p99 ms", lambda r: r["token_page_16"].p99_ms,
     "{:.2f}", False),
    (f"group index ({GROUP_PROJECTS} projects), 16 conn, req/s",
     lambda r: r["group_root_16"].rps, "{:.0f}", True),
    ("group page (name in 1 of them), 16 conn, req/s", lambda r: r["group_page_16"].rps,
     "{:.0f}", True),
    ("upload, 1 client, files/s", lambda r: r["upload_1"][0], "{:.1f}", True),
    ("upload, 4 clients, files/s", lambda r: r["upload_4"][0], "{:.1f}", True),
    ("upload failures (1 + 4 clients)", lambda r: r["upload_1"][1] + r["upload_4"][1], "{:.0f}",
     False),
    ("big upload, MB/s", lambda r: r["big"][0], "{:.0f}", True),
    ("big upload, peak RSS above rest, MiB", lambda r: r["big"][1] / MIB, "{:.0f}", False),
    ("pip install 20 packages, s", lambda r: r["install"][0], "{:.2f}", False),
    ("uv pip install 20 packages, s", lambda r: r["install"][1], "{:.2f}", False),
    ("RSS at rest, MiB", lambda r: r["rss_rest"] / MIB, "{:.0f}", False),
]


def _value(result: dict, read: object) -> float | None:
    try:
        return read(result)
    except KeyError:
        return None


def table(results: dict) -> str:
    names = ["ours", *[peer for peer in PEERS if peer in results], "nginx static"]
    header = ["measure", *names, *(f"ours / {peer}" for peer in PEERS if peer in results)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, read, fmt, higher in ROWS:
        values = {name: _value(results.get(name, {}), read) for name in names}
        cells = [fmt.format(v) if v is not None else "—" for v in values.values()]
        for peer in PEERS:
            if peer in results:
                cells.append(_ratio(values["ours"], values[peer], higher))
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines) + "\n\nRatios read 'times better' (>1 is ours ahead) for every row.\n"


def _ratio(ours: float | None, peer: float | None, higher: bool) -> str:
    if not ours or not peer:
        return "—"
    return f"{ours / peer if higher else peer / ours:.1f}x"
