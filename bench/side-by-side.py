#!/usr/bin/env python3
"""Merges the dpichat-bench JSON files of one bench/run into one table and one JSON file.

usage: side-by-side.py --meta META.json --out RESULT.json RUN.json...

Every RUN.json carries "benchTarget" (full, normal, soketi), "benchLoad" and "benchRep",
added by bench/run. Repeated runs of a load are summarised by their median.
"""
import argparse
import json
import statistics
import sys

TARGETS = [("full", "DPI Chat FULL"), ("normal", "DPI Chat NORMAL"), ("soketi", "soketi")]


def get(run, *path):
    value = run
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def server_cpu_percent(run):
    cpu, wall = get(run, "server", "cpuS"), get(run, "driver", "wallS")
    return 100.0 * cpu / wall if cpu is not None and wall else None


def driver_cpu_percent(run):
    """The driver's CPU, less the time its loops polled in vain (--busy-poll)."""
    cpu, wall = get(run, "driver", "cpuS"), get(run, "driver", "wallS")
    polled = get(run, "driver", "busyPollS") or 0.0
    return 100.0 * (cpu - polled) / wall if cpu is not None and wall else None


def others_percent(run):
    others = get(run, "machine", "othersOnServerCores")
    return 100.0 * others if others is not None else None


def rows_for(meta):
    """(key, load, label, unit, metric, higher is better)"""
    light_total = meta["pairs"] * meta["lightRate"]
    idle = meta["idle"]
    fan = meta["fanout"]
    driver_cpu = ("driver CPU less polling" if meta.get("driverBusyPollUs", 0) > 0
                  else "driver CPU")
    return [
        ("idle.rss", "idle", f"idle {idle:,}: server RSS per connection", "KiB",
         lambda r: get(r, "idle", "serverRssPerConnectionKib"), False),
        ("idle.setup", "idle", f"idle {idle:,}: time to set all up", "s",
         lambda r: get(r, "idle", "setupS"), False),
        ("light.p50", "light", f"light {light_total:,.0f} msg/s: send->receive p50", "ms",
         lambda r: get(r, "latencyMs", "sendToPush", "p50"), False),
        ("light.p99", "light", f"light {light_total:,.0f} msg/s: send->receive p99", "ms",
         lambda r: get(r, "latencyMs", "sendToPush", "p99"), False),
        ("light.sentp50", "light", "light: send->'sent' (durable ack) p50", "ms",
         lambda r: get(r, "latencyMs", "sendToSent", "p50") if r["protocol"] == "dpichat" else None,
         False),
        ("light.sentp99", "light", "light: send->'sent' (durable ack) p99", "ms",
         lambda r: get(r, "latencyMs", "sendToSent", "p99") if r["protocol"] == "dpichat" else None,
         False),
        ("light.cpu", "light", "light: server CPU", "% of a core", server_cpu_percent, False),
        ("light.others", "light", "light: the server's core busy with other work", "% of a core",
         others_percent, False),
        ("full.rate", "full", f"full speed (window {meta['window']}): delivered", "msg/s",
         lambda r: get(r, "throughput", "deliveredPerS"), True),
        ("full.p99", "full", "full speed: send->receive p99", "ms",
         lambda r: get(r, "latencyMs", "sendToPush", "p99"), False),
        ("full.percpu", "full", "full speed: delivered per server CPU-second", "msg",
         lambda r: get(r, "server", "deliveredPerCpuS"), True),
        ("full.cpu", "full", "full speed: server CPU", "% of a core", server_cpu_percent, None),
        ("full.drvcpu", "full", f"full speed: {driver_cpu}", "% of a core", driver_cpu_percent,
         None),
        ("full.others", "full", "full speed: the server's core busy with other work",
         "% of a core", others_percent, False),
        ("fanout.p50", "fanout", f"fan-out 1->{fan} at {meta['fanoutRate']} msg/s: p50", "ms",
         lambda r: get(r, "latencyMs", "sendToPush", "p50"), False),
        ("fanout.p99", "fanout", f"fan-out 1->{fan} at {meta['fanoutRate']} msg/s: p99", "ms",
         lambda r: get(r, "latencyMs", "sendToPush", "p99"), False),
        ("fanoutfull.rate", "fanout-full", f"fan-out 1->{fan} full speed: deliveries", "msg/s",
         lambda r: get(r, "throughput", "deliveredPerS"), True),
        ("fanoutfull.cpu", "fanout-full", f"fan-out 1->{fan} full speed: server CPU",
         "% of a core", server_cpu_percent, None),
        ("fanoutfull.drvcpu", "fanout-full", f"fan-out 1->{fan} full speed: {driver_cpu}",
         "% of a core", driver_cpu_percent, None),
        ("fullidle.rate", "full-idle", f"full speed beside {idle:,} idle: delivered", "msg/s",
         lambda r: get(r, "throughput", "deliveredPerS"), True),
        ("fullidle.p99", "full-idle", f"full speed beside {idle:,} idle: p99", "ms",
         lambda r: get(r, "latencyMs", "sendToPush", "p99"), False),
        ("fullidle.percpu", "full-idle", f"full speed beside {idle:,} idle: per server CPU-s",
         "msg", lambda r: get(r, "server", "deliveredPerCpuS"), True),
        ("fullidle.others", "full-idle",
         f"full speed beside {idle:,} idle: the server's core busy with other work",
         "% of a core", others_percent, False),
    ]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, unit):
    if value is None:
        return "-"
    if unit in ("msg/s", "msg", "runs"):
        return f"{value:,.0f}"
    if unit == "% of a core":
        return f"{value:.1f}%" if abs(value) < 10 else f"{value:.0f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--meta", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--client-bench")
    p.add_argument("runs", nargs="*")
    a = p.parse_args()
    meta = json.load(open(a.meta))
    runs = []
    for path in a.runs:
        try:
            runs.append(json.load(open(path)))
        except (OSError, ValueError) as e:
            print(f"side-by-side: skipping {path}: {e}", file=sys.stderr)

    present = [t for t in TARGETS if any(r["benchTarget"] == t[0] for r in runs)]
    rows = []
    for key, load, label, unit, metric, higher in rows_for(meta):
        values, samples = {}, {}
        for target, _ in present:
            picked = sorted((r for r in runs
                             if r["benchTarget"] == target and r["benchLoad"] == load),
                            key=lambda r: r.get("benchRep", 0))
            samples[target] = [metric(r) for r in picked]
            values[target] = median(samples[target])
        if all(v is None for v in values.values()):
            continue
        ratios = {}
        for target in ("full", "normal") if not key.endswith(".others") else ():
            if values.get(target) is not None and values.get("soketi"):
                ratios[target] = values[target] / values["soketi"]
        rows.append({"key": key, "load": load, "label": label, "unit": unit,
                     "higherIsBetter": higher, "values": values, "samples": samples,
                     "ratiosToSoketi": ratios})

    by_key = {r["key"]: r for r in rows}

    def value(key, target):
        row = by_key.get(key)
        return row["values"].get(target) if row else None

    # Throughput change with the idle sessions open, from the medians.
    change_row = {"key": "fullidle.change", "load": "full-idle",
                  "label": "  change against full speed alone", "unit": "%",
                  "higherIsBetter": True, "values": {}, "samples": {}, "ratiosToSoketi": {}}
    for target, _ in present:
        base, with_idle = value("full.rate", target), value("fullidle.rate", target)
        change_row["values"][target] = (100.0 * (with_idle / base - 1.0)
                                        if base and with_idle is not None else None)
    if any(v is not None for v in change_row["values"].values()):
        anchor = by_key.get("fullidle.percpu") or by_key.get("fullidle.p99")
        rows.insert(rows.index(anchor) + 1 if anchor else len(rows), change_row)
        by_key[change_row["key"]] = change_row

    def count_runs(key, label, flagged):
        """A row of how many runs per server `flagged` picks out."""
        counts = {t: sum(1 for r in runs if r["benchTarget"] == t and flagged(r))
                  for t, _ in present}
        rows.append({"key": key, "load": "all", "unit": "runs", "label": label,
                     "higherIsBetter": False, "values": counts, "samples": {},
                     "ratiosToSoketi": {}})

    count_runs("integrity", "runs with a lost, duplicated, out-of-order or dropped session",
               lambda r: not r.get("ok", False))
    count_runs("saturated", "runs with the driver saturated (rates then a lower bound)",
               lambda r: bool(get(r, "driver", "saturated")))

    targets = []

    def target(name, measured, goal, met):
        targets.append({"name": name, "measured": measured, "goal": goal,
                        "met": met if measured is not None else None})

    r = by_key.get("full.rate", {}).get("ratiosToSoketi", {})
    if "full" in r:
        target("full speed, FULL against soketi", r["full"], ">= 1.5x", r["full"] >= 1.5)
    if "normal" in r:
        target("full speed, NORMAL against soketi", r["normal"], ">= 3x", r["normal"] >= 3.0)
    p50, p99 = value("light.p50", "full"), value("light.p99", "full")
    if p50 is not None:
        target("light load, FULL (durable) p50", p50, "< 0.6 ms", p50 < 0.6)
        target("light load, FULL (durable) p99", p99, "< 1.5 ms", p99 is not None and p99 < 1.5)
    n99, s99 = value("light.p99", "normal"), value("light.p99", "soketi")
    if n99 is not None and s99 is not None:
        target("light load, NORMAL p99 against soketi's", n99 / s99, "<= 1x", n99 <= s99)
    for t in ("full", "normal"):
        kib = value("idle.rss", t)
        if kib is not None:
            target(f"idle memory at {meta['idle']:,}, {t.upper()}", kib, "<= 4 KiB/connection",
                   kib <= 4.0)
        change = change_row["values"].get(t)
        if change is not None:
            target(f"throughput change with {meta['idle']:,} idle, {t.upper()}", change,
                   "> -10%", change > -10.0)

    # The table.
    names = [n for _, n in present]
    head = ["load / metric", "unit"] + names
    show_ratios = "soketi" in [t for t, _ in present]
    if show_ratios:
        head += [f"{n}/soketi" for t, n in present if t != "soketi"]
    table = []
    for row in rows:
        line = [row["label"], row["unit"]]
        line += [fmt(row["values"].get(t), row["unit"]) for t, _ in present]
        if show_ratios:
            for t, _ in present:
                if t == "soketi":
                    continue
                ratio = row["ratiosToSoketi"].get(t)
                line.append(f"{ratio:.2f}x" if ratio is not None else "-")
        table.append(line)
    widths = [max(len(str(c)) for c in col) for col in zip(head, *table)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table:
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(line[2:], widths[2:])]
        print("| " + " | ".join(cells) + " |")
    print()
    print(f"Medians of {meta['repeat']} runs for light, full and full beside idle; one run "
          "otherwise. Ratios are DPI Chat / soketi: above 1 is better for rates, worse for "
          "latency and memory.")
    # The medians hide how far single runs spread on a noisy machine: the runs behind the
    # figures the targets use, in the order they ran.
    per_run = [(key, label) for key, label in (
        ("light.p50", "light p50 (ms)"), ("light.p99", "light p99 (ms)"),
        ("full.rate", "full (msg/s)"), ("fullidle.rate", f"beside {meta['idle']:,} idle (msg/s)"))
        if key in by_key and any(len(v) > 1 for v in by_key[key]["samples"].values())]
    if per_run:
        print("Per run, in order:")
        for key, label in per_run:
            row = by_key[key]
            cells = []
            for t, name in present:
                values = [fmt(v, row["unit"]) for v in row["samples"].get(t, [])]
                if values:
                    cells.append(f"{name} {' / '.join(values)}")
            print(f"  {label}: " + "; ".join(cells))
        print()
    for t in targets:
        verdict = "met" if t["met"] else ("MISSED" if t["met"] is not None else "not measured")
        measured = t["measured"]
        shown = "-" if measured is None else (f"{measured:.2f}" if abs(measured) < 100
                                               else f"{measured:,.0f}")
        print(f"target: {t['name']}: {shown} (goal {t['goal']}): {verdict}")

    result = {"tool": "bench/run", "meta": meta, "table": {"head": head, "rows": table},
              "summary": rows, "targets": targets, "runs": runs}
    if a.client_bench:
        try:
            result["clientBench"] = {"markdown": open(a.client_bench).read()}
        except OSError:
            pass
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
