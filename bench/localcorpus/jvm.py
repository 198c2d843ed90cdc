"""The JVM's own log (HotSpot 17 unified logging, ``-Xlog:gc*,safepoint`` to a file): a small program
that churns through byte arrays, keeps some and calls System.gc() now and then, run under G1 with two
heap sizes, Serial and Parallel; the runs' files one after the other, as a folder of rotated logs is
read. The heap printout at exit (``gc+heap+exit``, a dump of the heap's layout) is turned off."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from localcorpus.base import Log, Program, events, run

PROGRAM_SOURCE = """import java.util.*;
public class Churn {
    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        Random rng = new Random(Long.parseLong(args[1]));
        List<byte[]> kept = new ArrayList<>();
        for (int i = 1; i <= rounds; i++) {
            byte[] block = new byte[rng.nextInt(64 * 1024) + 1024];
            if (rng.nextInt(10) == 0) kept.add(block);
            if (kept.size() > 300) kept.subList(0, 150).clear();
            if (i % 15000 == 0) System.gc();
        }
    }
}
"""
#: (collector flag, -Xmx, rounds of the loop)
RUNS = (
    ("-XX:+UseG1GC", "64m", 18000),
    ("-XX:+UseSerialGC", "32m", 8000),
    ("-XX:+UseParallelGC", "24m", 10000),
    ("-XX:+UseG1GC", "24m", 6000),
)


def produce(work: Path, rng: random.Random) -> None:
    (work / "Churn.java").write_text(PROGRAM_SOURCE)
    compiled = run(["javac", "-d", str(work), str(work / "Churn.java")], timeout=120)
    if compiled.returncode:
        raise RuntimeError(f"javac: {compiled.stderr.decode()[-300:]}")
    with (work / "jvm.log").open("w") as log:
        for number, (collector, heap, rounds) in enumerate(RUNS):
            part = work / f"gc-{number}.log"
            decorations = "time,uptime,tid,level,tags"
            subprocess.run(
                [
                    "java",
                    collector,
                    f"-Xmx{heap}",
                    f"-Xlog:gc*,gc+heap+exit=off,safepoint:file={part}:{decorations}",
                    "-cp",
                    str(work),
                    "Churn",
                    str(rounds),
                    str(rng.randint(1, 10**9)),
                ],
                check=True,
                timeout=300,
            )
            log.write(part.read_text())


# [time][uptime][tid][level][tags] with the level and tags padded inside their brackets (logDecorations.cpp).
HEADER = r"\[[^\]]+\]\[[\d.]+s\]\[\d+\]\[\w+ *\]\[[\w,]+ *\] "
GC = r"GC\(\d+\) "
SIZES = r"\d+M->\d+M\(\d+M\) [\d.]+ms"  # gcTraceTime.cpp GCTraceTimeLoggerImpl::log_end: "%s " heap "->" "%.3fms"
#: gc/shared/gcTraceTime: a GCTraceTime("title") logs "title" when it starts and "title <time>" when it
#: ends (with the heap's change for the pause titles): the event is the title's call site and the phase.
TITLES = {
    # G1: g1YoungGCTraceTime (g1YoungCollector.cpp) builds "Pause Young (%s) (%s)" from the pause type and cause
    "Pause Young (%s) (%s)": r"Pause Young \([\w ]+\) \([\w. ()]+\)",
    # g1FullGCScope.cpp, serial/genCollectedHeap.cpp, parallel/psParallelCompact.cpp
    "Pause Full (%s)": r"Pause Full \([\w. ()]+\)",
    "Pause Remark": r"Pause Remark",  # g1ConcurrentMark.cpp G1ConcurrentMark::remark
    "Pause Cleanup": r"Pause Cleanup",  # g1ConcurrentMark.cpp G1ConcurrentMark::cleanup
    "Concurrent Mark Cycle": r"Concurrent Mark Cycle",  # g1ConcurrentMarkThread.cpp G1ConcPhaseTimer
    "Concurrent Clear Claimed Marks": r"Concurrent Clear Claimed Marks",
    "Concurrent Scan Root Regions": r"Concurrent Scan Root Regions",
    "Concurrent Mark From Roots": r"Concurrent Mark From Roots",
    "Concurrent Preclean": r"Concurrent Preclean",
    "Concurrent Mark": r"Concurrent Mark",
    "Concurrent Rebuild Remembered Sets": r"Concurrent Rebuild Remembered Sets",
    "Concurrent Cleanup for Next Mark": r"Concurrent Cleanup for Next Mark",
    "Phase 1: Mark live objects": r"Phase 1: Mark live objects",  # g1FullCollector.cpp, serial/genMarkSweep.cpp
    "Phase 2: Prepare for compaction": r"Phase 2: Prepare for compaction",
    "Phase 2: Compute new object addresses": r"Phase 2: Compute new object addresses",
    "Phase 3: Adjust pointers": r"Phase 3: Adjust pointers",
    "Phase 4: Compact heap": r"Phase 4: Compact heap",
    "Phase 4: Move objects": r"Phase 4: Move objects",
    "Marking Phase": r"Marking Phase",  # parallel/psParallelCompact.cpp
    "Summary Phase": r"Summary Phase",
    "Adjust Roots": r"Adjust Roots",
    "Compaction Phase": r"Compaction Phase",
    "Post Compact": r"Post Compact",
    "Pause Young (%s)": r"Pause Young \([\w. ()]+\)",  # serial/defNewGeneration.cpp, parallel/psScavenge.cpp
}
TABLE = [
    *((f"{title} (start)", GC + rx) for title, rx in TITLES.items()),
    *((f"{title} (end)", GC + rx + rf"(?: {SIZES}| [\d.]+ms)") for title, rx in TITLES.items()),
    # gc/g1/g1GCPhaseTimes.cpp G1GCPhaseTimes::print_*: info_time(name, value), one call a name
    *(
        (f"  {name}: %.1fms", GC + rf"  {name}: [\d.]+ms")
        for name in (
            "Pre Evacuate Collection Set",
            "Merge Heap Roots",
            "Evacuate Collection Set",
            "Post Evacuate Collection Set",
            "Other",
        )
    ),
    # gc/g1/g1HeapTransition.cpp G1HeapTransition::print
    *((f"{name} regions: %u->%u(%u)", GC + rf"{name} regions: \d+->\d+(?:\(\d+\))?") for name in ("Eden", "Survivor")),
    *((f"{name} regions: %u->%u", GC + rf"{name} regions: \d+->\d+") for name in ("Old", "Archive", "Humongous")),
    # gc/g1/g1YoungCollector.cpp G1YoungCollector::post_evacuate_collection_set
    ("To-space exhausted", GC + r"To-space exhausted"),
    # gc/g1/g1ConcurrentMark.cpp G1ConcurrentMark::concurrent_cycle_abort
    ("Concurrent Mark Abort", GC + r"Concurrent Mark Abort"),
    # gc/g1/g1CollectedHeap.cpp satisfy_failed_allocation_helper
    ("Attempting full compaction", r"Attempting full compaction"),
    # memory/metaspaceUtils.cpp print_metaspace_change
    ("Metaspace: ...", GC + r"Metaspace: \d+K\(\d+K\)->\d+K\(\d+K\) .*"),
    # gc/shared/gcTraceTime.cpp GCTraceCPUTime
    ("User=%3.2fs Sys=%3.2fs Real=%3.2fs", GC + r"User=[\d.]+s Sys=[\d.]+s Real=[\d.]+s"),
    # gc/shared/workerThread.cpp WorkerThreads::set_active_workers
    ("Using %u workers of %u for %s", GC + r"Using \d+ workers of \d+ for [\w ]+"),
    ("DefNew: ...", GC + r"DefNew: .*"),  # serial/defNewGeneration.cpp (gc/shared/generation.cpp print_heap_change)
    ("Tenured: ...", GC + r"Tenured: .*"),
    # parallel/psYoungGen.cpp / parallel/parallelScavengeHeap.cpp print_heap_change
    ("PSYoungGen: ...", GC + r"PSYoungGen: .*"),
    ("ParOldGen: ...", GC + r"ParOldGen: .*"),
    # runtime/safepoint.cpp SafepointTracing::end
    (
        'Safepoint "%s", Time since last: ...',
        r'Safepoint "\w+", Time since last: \d+ ns, Reaching safepoint: \d+ ns, Cleanup: \d+ ns, At safepoint: \d+'
        r" ns, Total: \d+ ns",
    ),
    # gc/shared/gcInitLogger.cpp GCInitLogger::print_* and the collectors' own lines
    ("Using %s", r"Using \w+"),  # gc/shared/gcArguments / gcInitLogger.cpp
    ("Version: %s (%s)", r"Version: \S+ \(\w+\)"),
    ("CPUs: %u total, %u available", r"CPUs: \d+ total, \d+ available"),
    ("Memory: %zu%s", r"Memory: \d+\w"),
    ("Large Page Support: %s", r"Large Page Support: \w+"),
    ("NUMA Support: %s", r"NUMA Support: \w+"),
    ("Compressed Oops: %s", r"Compressed Oops: .*"),
    ("Alignments: Space %zu%s, Generation %zu%s, Heap %zu%s", r"Alignments: .*"),
    ("Heap Region Size: %zu%s", r"Heap Region Size: \d+\w"),
    ("Heap Min Capacity: %zu%s", r"Heap Min Capacity: \d+\w"),
    ("Heap Initial Capacity: %zu%s", r"Heap Initial Capacity: \d+\w"),
    ("Heap Max Capacity: %zu%s", r"Heap Max Capacity: \d+\w"),
    ("Pre-touch: %s", r"Pre-touch: \w+"),
    ("Parallel Workers: %u", r"Parallel Workers: \d+"),
    ("Concurrent Workers: %u", r"Concurrent Workers: \d+"),
    ("Concurrent Refinement Workers: %u", r"Concurrent Refinement Workers: \d+"),
    ("Periodic GC: %s", r"Periodic GC: \w+"),
    ("CDS archive(s) mapped at: ...", r"CDS archive\(s\) mapped at: .*"),  # memory/metaspaceShared.cpp
    # memory/metaspace.cpp
    (
        "Compressed class space mapped at: %p-%p, reserved size: %zu",
        r"Compressed class space mapped at: \w+-\w+, reserved size: \d+",
    ),
    # memory/metaspace.cpp
    (
        "Narrow klass base: %p, Narrow klass shift: %d, Narrow klass range: %p",
        r"Narrow klass base: \w+, Narrow klass shift: \d+, Narrow klass range: \w+",
    ),
]

PROGRAM = Program(
    name="jvm",
    packages=("openjdk-17-jdk-headless",),
    produce=produce,
    logs=(Log("jvm", "jvm.log", events(HEADER, TABLE)),),
)
