#!/usr/bin/env python3
"""Classifies the server's log flushes from `perf script` output of a trace taken with

    perf record -a -e block:block_rq_issue -e block:block_rq_complete \
        -e syscalls:sys_enter_fdatasync -e syscalls:sys_exit_fdatasync \
        -e syscalls:sys_enter_pwrite64

(bench/flushpattern/trace-server runs it). Each `fdatasync` of the flush thread
(dpichat-flush) is counted by whether the log had grown since the last one (the storage
thread's last write ended past every earlier one) and by the metadata writes (WSM requests,
the inode's block and, while the file grows, its extent block) issued during it; then the
latency of each kind of block request: data writes (WS), metadata writes (WSM) and the
device's cache flushes (FF)."""
import re
import sys
from collections import defaultdict


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float('nan')


def main(path, log_fds):
    flushes = []
    current = None
    furthest = 0
    grew = False
    issued = {}
    request_ms = defaultdict(list)
    for line in open(path, errors='replace'):
        m = re.search(r'(\d+\.\d+):\s+(\S+):', line)
        if not m:
            continue
        t, event = float(m.group(1)), m.group(2)
        if event == 'syscalls:sys_enter_fdatasync' and 'dpichat-flush' in line:
            current = {'start': t, 'metadata': 0, 'data': 0, 'grew': grew}
            grew = False
        elif event == 'syscalls:sys_exit_fdatasync' and 'dpichat-flush' in line and current:
            current['ms'] = (t - current['start']) * 1e3
            flushes.append(current)
            current = None
        elif event == 'syscalls:sys_enter_pwrite64' and 'dpichat-storag' in line \
                and any('fd: 0x%08x' % fd in line for fd in log_fds):
            w = re.search(r'count: (0x[0-9a-f]+), pos: (0x[0-9a-f]+)', line)
            end = int(w.group(1), 16) + int(w.group(2), 16)
            if end > furthest:
                furthest, grew = end, True
        elif event.startswith('block:block_rq_'):
            r = re.search(r'block_rq_(issue|complete): \d+,\d+ (\S+) (?:\d+ )?\(\) (\d+) \+ (\d+)', line)
            if not r:
                continue
            kind, rwbs, sector = r.group(1), r.group(2), r.group(3)
            key = rwbs if rwbs == 'FF' else (rwbs, sector)
            if kind == 'issue':
                issued[key] = t
                if current and rwbs == 'WSM':
                    current['metadata'] += 1
                elif current and rwbs == 'WS':
                    current['data'] += 1
            elif key in issued:
                request_ms[rwbs].append((t - issued.pop(key)) * 1e3)

    print('fdatasync of the log, by what the flush wrote (ms):')
    groups = defaultdict(list)
    for f in flushes:
        groups[('log grown' if f['grew'] else 'written over',
                'data' if f['data'] else 'no data',
                min(f['metadata'], 2))].append(f['ms'])
    for (growth, data, metadata), ms in sorted(groups.items()):
        print('  %-12s %-7s %d metadata write%s: %6d flushes, p50 %.3f p90 %.3f'
              % (growth, data, metadata, '' if metadata == 1 else 's', len(ms),
                 quantile(ms, .5), quantile(ms, .9)))
    for growth in ('log grown', 'written over'):
        ms = [f['ms'] for f in flushes if (f['grew'] == (growth == 'log grown'))]
        with_metadata = sum(1 for f in flushes
                            if f['grew'] == (growth == 'log grown') and f['data'] and f['metadata'])
        with_data = sum(1 for f in flushes if f['grew'] == (growth == 'log grown') and f['data'])
        if ms:
            print('  %-12s all: %6d flushes, p50 %.3f p90 %.3f p99 %.3f; %.0f%% of those with data'
                  ' also wrote metadata' % (growth, len(ms), quantile(ms, .5), quantile(ms, .9),
                                            quantile(ms, .99), 100.0 * with_metadata / max(1, with_data)))
    print('block requests (ms from issue to completion):')
    for rwbs in ('WS', 'WSM', 'FF'):
        if request_ms[rwbs]:
            print('  %-4s %6d requests, p50 %.3f p90 %.3f'
                  % (rwbs, len(request_ms[rwbs]), quantile(request_ms[rwbs], .5),
                     quantile(request_ms[rwbs], .9)))


if __name__ == '__main__':
    if len(sys.argv) not in (2, 3):
        sys.exit('usage: classify-flushes.py PERF_SCRIPT_OUTPUT [LOG_FDS, comma-separated (16)]')
    main(sys.argv[1], [int(fd) for fd in (sys.argv[2] if len(sys.argv) == 3 else '16').split(',')])
