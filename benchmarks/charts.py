"""The charts of `make bench` (matplotlib, PNG beside results.json): requests/s per server and
shape, p50/p99 of the project page, and cost against the number of projects."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

ORDER = ("ours", "ours (production)", "pypiserver", "devpi", "nginx static")
RATES = [
    ("page_1", "project page\n1 conn"), ("page_16", "project page\n16 conn"),
    ("root_16", "root index"), ("miss_16", "miss (404)"), ("token_page_16", "page, token"),
    ("group_root_16", "group index"), ("group_page_16", "group page"),
    ("ceiling_16", "trivial view"),
]


def draw(results: dict, growth: dict, folder: Path) -> list[Path]:
    names = [name for name in ORDER if name in results]
    return [_rates(results, names, folder / "chart-requests.png"),
            _latency(results, names, folder / "chart-latency.png"),
            *([_growth(growth, folder / "chart-growth.png")] if growth else [])]


def _rates(results: dict, names: list[str], path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(12, 5))
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        values = [getattr(results[name].get(key), "rps", 0) for key, _ in RATES]
        positions = [x + index * width for x in range(len(RATES))]
        bars = axes.bar(positions, values, width, label=name)
        axes.bar_label(bars, labels=[f"{v:.0f}" if v else "" for v in values], fontsize=6,
                       rotation=90, padding=2)
    axes.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(RATES))],
                    [label for _, label in RATES], fontsize=8)
    axes.set_yscale("log")
    axes.set_ylabel("requests/s (log scale, higher is better)")
    axes.set_title("Requests per second, 16 connections unless said (client and server on 2 cores)")
    axes.legend(fontsize=8)
    return _save(figure, path)


def _latency(results: dict, names: list[str], path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(8, 4.5))
    pages = [results[name].get("page_16") for name in names]
    positions = range(len(names))
    p50 = [page.p50_ms if page else 0 for page in pages]
    p99 = [page.p99_ms if page else 0 for page in pages]
    axes.bar([x - 0.2 for x in positions], p50, 0.4, label="p50")
    axes.bar([x + 0.2 for x in positions], p99, 0.4, label="p99")
    axes.axhline(20, color="grey", linestyle="--", linewidth=1, label="p99 target (20 ms)")
    axes.set_xticks(list(positions), names, fontsize=8)
    axes.set_yscale("log")
    axes.set_ylabel("ms (log scale, lower is better)")
    axes.set_title("Cached project page at 16 connections: latency")
    axes.legend(fontsize=8)
    return _save(figure, path)


def _growth(growth: dict, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(7, 4.5))
    sizes = sorted(growth)
    for key, label in (("page_16", "project page"), ("miss_16", "miss (404)"),
                       ("token_page_16", "page with a token"), ("ceiling_16", "trivial view")):
        # Cost per request in ms of the two cores' time: 1000 / (req/s) at full load.
        axes.plot(sizes, [1000 / growth[size][key].rps for size in sizes], marker="o",
                  label=label)
    axes.set_xscale("log")
    axes.minorticks_off()
    axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axes.set_xlabel("projects in the registry (log scale)")
    axes.set_ylabel("ms per request: 1000 / req/s at 16 conn (lower is better)")
    axes.set_ylim(bottom=0)
    axes.set_title("Cost against the number of projects (embedded default)")
    axes.legend(fontsize=8)
    return _save(figure, path)


def _save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
