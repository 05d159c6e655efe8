"""Read a Chrome performance trace of the lab page (benchmarks/live_page.py records it while
training plays): the page's main-thread CPU time per drawn frame, split by kind of work, the
page's own parts (the scheduler's user-timing measures) and what the long tasks contained.

CPU time is each trace event's thread time (`tdur`), not its wall time (`dur`): on a busy machine
a task's wall time includes the time the thread waited for a core, its thread time does not, so
these figures change little with the machine's load (the frame rates do).
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from typing import Any

FRAME_MARK = "live-frame"  # performance.mark() of each drawn frame (live_page.py's frame watcher)

# Trace event names by kind of main-thread work (exclusive thread time is summed per kind).
_STYLE = {"UpdateLayoutTree", "RecalculateStyles", "ScheduleStyleRecalculation", "ParseAuthorStyleSheet"}
_LAYOUT = {"Layout", "UpdateLayerTree", "IntersectionObserverController::computeIntersections"}
_PAINT = {"Paint", "PrePaint", "Layerize", "UpdateLayer", "Commit", "PaintImage", "Decode Image", "ImageDecodeTask"}
_SCRIPT = {
    "FunctionCall", "EvaluateScript", "RunMicrotasks", "TimerFire", "FireAnimationFrame", "EventDispatch",
    "v8.compile", "v8.compileModule", "V8.BytecodeBudgetInterrupt", "V8.BytecodeBudgetInterruptWithStackCheck",
    "V8.StackGuard", "V8.HandleInterrupts", "ParseHTML", "XHRReadyStateChange", "ResourceReceivedData",
}  # fmt: skip


def _kind(name: str) -> str:
    if name in _STYLE:
        return "style"
    if name in _LAYOUT:
        return "layout"
    if name in _PAINT:
        return "paint"
    if "GC" in name:
        return "gc"
    if name in _SCRIPT or name.startswith("V8.") or name.startswith("v8."):
        return "script"
    return "other (task overhead, input, network)"


def _main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(pid, tid) of the renderer main thread with the most events (the page's)."""
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    counts = Counter((e["pid"], e["tid"]) for e in events if (e.get("pid"), e.get("tid")) in mains)
    if not counts:
        raise ValueError("the trace has no renderer main thread")
    return counts.most_common(1)[0][0]


def analyse(raw: bytes, long_task_ms: float = 50.0) -> dict[str, Any]:
    """The trace's figures per drawn frame: the page marks each one ("live-frame", user timing)."""
    events: list[dict[str, Any]] = json.loads(raw)["traceEvents"]
    pid, tid = _main_thread(events)
    mine = [e for e in events if e.get("pid") == pid and e.get("tid") == tid]
    frames = sum(1 for e in mine if e.get("name") == FRAME_MARK and e.get("cat") == "blink.user_timing")
    slices = sorted((e for e in mine if e.get("ph") == "X" and "dur" in e), key=lambda e: (e["ts"], -e["dur"]))
    # Top-level tasks, and the exclusive thread time of every event (its tdur minus its children's).
    tasks: list[dict[str, Any]] = []
    exclusive: Counter[str] = Counter()
    stack: list[dict[str, Any]] = []
    for e in slices:
        while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
            stack.pop()
        cpu = float(e.get("tdur", e["dur"]))
        if stack:
            exclusive[stack[-1]["name"]] -= cpu
        else:
            tasks.append(e)
        exclusive[e["name"]] += cpu
        stack.append(e)
    if not tasks:
        raise ValueError("the trace has no main-thread task")
    span_us = max(t["ts"] + t["dur"] for t in tasks) - min(t["ts"] for t in tasks)
    cpu_ms = sum(float(t.get("tdur", t["dur"])) for t in tasks) / 1000
    wall_ms = sum(float(t["dur"]) for t in tasks) / 1000
    per_kind: Counter[str] = Counter()
    for name, us in exclusive.items():
        per_kind[_kind(name)] += us / 1000
    n = max(frames, 1)
    parts = _parts(mine, tasks)
    long_tasks = [t for t in tasks if t["dur"] / 1000 > long_task_ms]
    task_cpu = sorted(float(t.get("tdur", t["dur"])) / 1000 for t in tasks)
    return {
        "seconds": round(span_us / 1e6, 2),
        "frames": frames,
        "main_thread_cpu_ms_per_frame": round(cpu_ms / n, 2),
        "main_thread_wall_ms_per_frame": round(wall_ms / n, 2),
        "main_thread_cpu_share": round(cpu_ms * 1000 / span_us, 3) if span_us else None,
        "cpu_ms_per_frame_by_kind": {k: round(v / n, 2) for k, v in per_kind.most_common()},
        "part_cpu_ms_per_frame": {
            k: round(v["cpu"] / n, 2) for k, v in sorted(parts.items(), key=lambda kv: -kv[1]["cpu"])
        },
        "part_runs": {k: v["runs"] for k, v in parts.items()},
        "long_tasks": [_describe_task(t, mine) for t in sorted(long_tasks, key=lambda t: -t["dur"])[:8]],
        "long_tasks_over_50ms": len(long_tasks),
        # The same by thread time: the tasks that would be long on an idle machine (load-independent).
        "tasks_over_50ms_cpu": sum(1 for c in task_cpu if c > long_task_ms),
        "tasks_over_30ms_cpu": sum(1 for c in task_cpu if c > 30),
        "longest_task_cpu_ms": round(task_cpu[-1], 1),
        "task_cpu_ms_p99": round(task_cpu[min(len(task_cpu) - 1, int(0.99 * len(task_cpu)))], 1),
    }


def _measures(events: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """The page's user-timing measures: (name, start us, end us)."""
    opened: dict[tuple[str, str], float] = {}
    out: list[tuple[str, float, float]] = []
    for e in sorted((e for e in events if e.get("cat") == "blink.user_timing"), key=lambda e: e["ts"]):
        key = (e["name"], str(e.get("id2", e.get("id"))))
        if e.get("ph") == "b":
            opened[key] = e["ts"]
        elif e.get("ph") == "e" and key in opened:
            out.append((e["name"], opened.pop(key), e["ts"]))
    return out


def _parts(events: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """CPU ms per part: each measure's wall time scaled by its task's thread/wall ratio."""
    parts: dict[str, dict[str, float]] = {}
    ordered = sorted(tasks, key=lambda t: t["ts"])
    starts = [t["ts"] for t in ordered]
    for name, start, end in _measures(events):
        i = bisect.bisect_right(starts, start) - 1
        ratio = 1.0
        if i >= 0 and ordered[i]["ts"] + ordered[i]["dur"] >= end and ordered[i]["dur"] > 0:
            ratio = float(ordered[i].get("tdur", ordered[i]["dur"])) / ordered[i]["dur"]
        p = parts.setdefault(name, {"cpu": 0.0, "runs": 0})
        p["cpu"] += (end - start) * ratio / 1000
        p["runs"] += 1
    return parts


def _describe_task(task: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """A long task: its wall and thread time, and the page's parts (and browser work) inside it."""
    start, end = task["ts"], task["ts"] + task["dur"]
    inside: Counter[str] = Counter()
    for name, s, e in _measures(events):
        if s >= start and e <= end:
            inside[name] += (e - s) / 1000
    work: Counter[str] = Counter()
    for e in events:
        if e.get("ph") == "X" and start <= e["ts"] < end and e is not task and e["name"] in _STYLE | _LAYOUT | _PAINT:
            work[_kind(e["name"])] += float(e.get("tdur", e["dur"])) / 1000
    return {
        "wall_ms": round(task["dur"] / 1000, 1),
        "cpu_ms": round(float(task.get("tdur", task["dur"])) / 1000, 1),
        "parts_wall_ms": {k: round(v, 1) for k, v in inside.most_common(6)},
        "browser_cpu_ms": {k: round(v, 1) for k, v in work.most_common()},
    }
