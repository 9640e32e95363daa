"""Benchmark: rendering a 30 KB lesson through Stream's Markdown pipeline (target: < 50 ms).

Run with ``make bench``; results are appended to ``docs/benchmarks.md``. Not part of the test
suite: tests assert query counts, never wall-clock times.
"""

import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from lessons.markdown import render_lesson_markdown  # noqa: E402

TARGET_MS = 50


def lesson_of_30_kb(variant):
    """About the mix of the reference lesson: mostly prose, a 14-line Python block every 2.5 KB."""
    prose = (
        "Llama 3 는 GQA 와 RoPE 를 쓰고 SwiGLU 를 씁니다. See [the card](https://e.org/card) "
        "and `model.generate()`; **dense** models stay *simple*.\n\n"
    )
    code = "\n".join(f'    ("llama-{variant}-{i}", {i}, 32, 4096),  # row {i}' for i in range(12))
    parts = []
    section = 0
    while sum(len(part.encode()) for part in parts) < 30_000:
        parts.append(f"## Section {section}\n\n{prose * 12}")
        parts.append(f'```python title="Block {section}"\nROWS = [\n{code}\n]\n```\n\n')
        section += 1
    return "".join(parts)


def main():
    render_lesson_markdown(lesson_of_30_kb("warm-up"))
    timings = []
    for variant in range(20):  # a new text each time, so no cached code block helps
        source = lesson_of_30_kb(variant)
        started = time.perf_counter()
        render_lesson_markdown(source)
        timings.append((time.perf_counter() - started) * 1000)
    best, median = min(timings), statistics.median(timings)
    verdict = "meets" if median < TARGET_MS else "MISSES"
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()} | 30 KB lesson render | best {best:.1f} ms, "
        f"median {median:.1f} ms | {verdict} < {TARGET_MS} ms |"
    )
    print(line)
    results = ROOT / "docs" / "benchmarks.md"
    if not results.exists():
        results.write_text(
            "# Benchmarks\n\nWritten by `make bench`; one row per run.\n\n"
            "| date | machine | benchmark | result | target |\n| --- | --- | --- | --- | --- |\n",
            encoding="utf-8",
        )
    with results.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


if __name__ == "__main__":
    main()
