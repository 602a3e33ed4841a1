"""The tables `make bench` prints: each measure for each server and shape with our ratio to each
peer, the limits (our pages against the stack's ceiling and the static floor), and growth."""

from __future__ import annotations

import os

MIB = 1024 * 1024
GROUP_PROJECTS = int(os.environ.get("BENCH_GROUP_PROJECTS", "1000"))
PEERS = ("pypiserver", "devpi")
OURS = ("ours", "ours (production)")

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
    ("miss (404), 16 conn, p99 ms", lambda r: r["miss_16"].p99_ms, "{:.2f}", False),
    ("trivial Django view (the stack's ceiling), 16 conn, req/s",
     lambda r: r["ceiling_16"].rps, "{:.0f}", True),
    ("simple page with a token, 16 conn, req/s", lambda r: r["token_page_16"].rps, "{:.0f}",
     True),
    ("simple page with a token, 16 conn, p99 ms", lambda r: r["token_page_16"].p99_ms,
     "{:.2f}", False),
    (f"group index ({GROUP_PROJECTS} projects), 16 conn, req/s",
     lambda r: r["group_root_16"].rps, "{:.0f}", True),
    (f"group index ({GROUP_PROJECTS} projects), 16 conn, p99 ms",
     lambda r: r["group_root_16"].p99_ms, "{:.2f}", False),
    ("group page (name in 1 of them), 16 conn, req/s", lambda r: r["group_page_16"].rps,
     "{:.0f}", True),
    ("group page (name in 1 of them), 16 conn, p99 ms", lambda r: r["group_page_16"].p99_ms,
     "{:.2f}", False),
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
    ours = [name for name in OURS if name in results]
    peers = [peer for peer in PEERS if peer in results]
    names = [*ours, *peers, "nginx static"]
    ratios = [(mine, peer) for mine in ours for peer in peers]
    header = ["measure", *names, *(f"{mine} / {peer}" for mine, peer in ratios)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, read, fmt, higher in ROWS:
        values = {name: _value(results.get(name, {}), read) for name in names}
        cells = [fmt.format(v) if v is not None else "—" for v in values.values()]
        cells += [_ratio(values[mine], values[peer], higher) for mine, peer in ratios]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return ("\n".join(lines) + "\n\nRatios read 'times better' (>1 is ours ahead) for every row.\n"
            + _wrong_answers(results))


def _wrong_answers(results: dict) -> str:
    """A rate of error pages is no page rate: say so wherever wrk saw an unexpected status."""
    wrong = [f"{name} {key}: {value.errors}" for name, result in results.items()
             for key, value in result.items()
             if key != "miss_16" and getattr(value, "errors", 0)]
    return f"\n**Non-2xx/3xx answers where a page was expected**: {', '.join(wrong)}\n" if wrong \
        else "\nEvery page row was answered 2xx/3xx throughout (wrk's non-2xx count is 0).\n"


# (label, numerator, denominator): rates of the same run; a cost ratio is the inverse.
LIMITS = [
    ("cached page / trivial view (share of the stack's ceiling)", "page_16", "ceiling_16"),
    ("group index cost / project page cost", "page_16", "group_root_16"),
    ("group page cost / project page cost", "page_16", "group_page_16"),
    ("miss cost / hit cost", "page_16", "miss_16"),
    ("page with a token cost / anonymous page cost", "page_16", "token_page_16"),
]


def limits_table(results: dict) -> str:
    """Ratios within one shape, all at 16 connections, from the same run."""
    ours = [name for name in OURS if name in results]
    lines = ["| ratio, 16 conn | " + " | ".join(ours) + " |", "|---|" + "---|" * len(ours)]
    for label, numerator, denominator in LIMITS:
        cells = []
        for name in ours:
            top, bottom = results[name].get(numerator), results[name].get(denominator)
            cells.append(f"{top.rps / bottom.rps:.2f}" if top and bottom and bottom.rps else "—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    static = results.get("nginx static", {}).get("page_16")
    production = results.get("ours (production)", {}).get("page_16")
    if static and production:
        lines.append(f"| production page / nginx static files | — | "
                     f"{production.rps / static.rps:.2f} |")
    return "\n".join(lines) + "\n"


def growth_table(growth: dict) -> str:
    """Ours (embedded) at each size; the last column compares with the smallest size."""
    if not growth:
        return ""
    sizes = sorted(growth)
    lines = ["| projects | page req/s | page p99 ms | miss req/s | token page req/s | "
             "ceiling req/s | page / ceiling | page cost vs smallest |", "|---|" + "---|" * 7]
    first = growth[sizes[0]]
    for size in sizes:
        row = growth[size]
        # Cost as a share of the ceiling of the same moment: the machine's load cancels out.
        share = row["page_16"].rps / row["ceiling_16"].rps
        base = first["page_16"].rps / first["ceiling_16"].rps
        lines.append(
            f"| {size} | {row['page_16'].rps:.0f} | {row['page_16'].p99_ms:.2f} | "
            f"{row['miss_16'].rps:.0f} | {row['token_page_16'].rps:.0f} | "
            f"{row['ceiling_16'].rps:.0f} | {share:.2f} | {base / share:.2f}x |")
    return "\n".join(lines) + "\n"


def _ratio(ours: float | None, peer: float | None, higher: bool) -> str:
    if not ours or not peer:
        return "—"
    return f"{ours / peer if higher else peer / ours:.1f}x"


PROXY_OURS = ("ours", "ours (production)")
PROXY_PEERS = ("devpi mirror", "proxpi")
# (label, how to read it, unit, higher is better, ratio shown): ratios of a few added
# milliseconds are noise, so the cold rows show none.
PROXY_ROWS = [
    ("cached upstream page, 16 conn, req/s", lambda r: r["page_16"].rps, "{:.0f}", True, True),
    ("cached upstream page, 16 conn, p99 ms", lambda r: r["page_16"].p99_ms, "{:.2f}", False,
     True),
    ("cached upstream file ({kb} KB wheel), 16 conn, req/s", lambda r: r["file_16"].rps,
     "{:.0f}", True, True),
    ("cached upstream file, 16 conn, p99 ms", lambda r: r["file_16"].p99_ms, "{:.2f}", False,
     True),
    ("cold miss ({cold} names), ms added over a direct GET, median",
     lambda r: r["cold"]["added_median_ms"], "{:.1f}", False, False),
    ("cold miss, ms added over a direct GET, p90", lambda r: r["cold"]["added_p90_ms"],
     "{:.1f}", False, False),
    ("the stand-in's own page latency (direct GET), median ms",
     lambda r: r["cold"]["direct_median_ms"], "{:.1f}", False, False),
    ("RSS after the runs, MiB", lambda r: r["rss_after"] / MIB, "{:.0f}", False, False),
]


def proxy_table(proxy: dict) -> str:
    """The proxy section: ours in proxy mode against devpi's mirror and proxpi, one upstream."""
    if not proxy:
        return ""
    results = proxy["servers"]
    ours = [name for name in PROXY_OURS if name in results]
    peers = [name for name in PROXY_PEERS if name in results]
    ratios = [(mine, peer) for mine in ours for peer in peers]
    header = ["proxy: measure", *ours, *peers, *(f"{mine} / {peer}" for mine, peer in ratios)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, read, fmt, higher, ratio in PROXY_ROWS:
        values = {name: _value(results[name], read) for name in [*ours, *peers]}
        cells = [fmt.format(v) if v is not None else "—" for v in values.values()]
        cells += [_ratio(values[mine], values[peer], higher) if ratio else "—"
                  for mine, peer in ratios]
        text = label.format(kb=proxy["file_kb"], cold=proxy["cold"])
        lines.append("| " + " | ".join([text, *cells]) + " |")
    wrong = [f"{name} {key}: {value.errors}" for name, result in results.items()
             for key, value in result.items() if getattr(value, "errors", 0)]
    notes = [f"**Non-2xx/3xx answers**: {', '.join(wrong)}" if wrong else
             "Every cached page and file was answered 2xx/3xx (wrk's non-2xx count is 0)."]
    notes += [f"**{name} did not run**: {error}" for name, error in proxy["errors"].items()]
    notes.append(f"The proxy section took {proxy['seconds']:.0f} s.")
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes) + "\n"
