"""bench/run's bookkeeping: `record` turns one wrk run and its server log into a JSON line,
`table` prints the report (markdown) from all of them and the baselines."""

import json
import re
import sys
from collections import Counter


def seconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def record(out, run, name, concurrency, wrk_file, log_file, expected, hwm_kib, before="0", after="0"):
    wrk = open(wrk_file).read()
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", wrk, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", wrk))
    errors += sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", wrk))
    outcomes = Counter(re.findall(r'moray::api: request .*?outcome="([^"]*)"', open(log_file).read()))
    if expected != "none":
        errors += sum(n for outcome, n in outcomes.items() if outcome != expected)
    row = {
        "run": run,
        "method": name,
        "concurrency": int(concurrency),
        "requests": int(re.search(r"(\d+) requests in", wrk).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)),
        "p50": seconds(latency["50"]),
        "p99": seconds(latency["99"]),
        "errors": errors,
        "outcomes": dict(outcomes),
        "rss_mib": int(hwm_kib) / 1024,
    }
    # The HTTP limit measured right before and right after this method (none for itself).
    if float(before) > 0 and float(after) > 0:
        row["bracket_rps"] = [float(before), float(after)]
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
    bracket = f"  (HTTP limit around it {limit_of(row):,.0f}: {ratio(row):.1%})" if "bracket_rps" in row else ""
    print(f"   {name:24} {row['rps']:>10.0f} req/s  p50 {ms(row['p50'])}  p99 {ms(row['p99'])}  errors {errors}"
          + bracket)


def limit_of(row, fallback=None):
    """The HTTP limit a row is compared with: the mean of the two measured around it."""
    if "bracket_rps" in row:
        return sum(row["bracket_rps"]) / 2
    return fallback if fallback is not None else row["rps"]


def ratio(row, fallback=None):
    return row["rps"] / limit_of(row, fallback)


def ms(value):
    return f"{value * 1000:.2f} ms"


def table(results_file, baselines_file):
    rows = [json.loads(line) for line in open(results_file)]
    machine = next(r for r in rows if "machine" in r)
    runs = {}
    for r in rows:
        if "run" in r:
            runs.setdefault(r["run"], {})[r["method"]] = r
    lines = open(baselines_file).read().splitlines()
    base = dict(line.split(" ", 1) for line in lines)
    argon2 = {line.split()[1]: float(line.split("=")[1]) for line in lines if line.startswith("argon2 ")}
    dbsize = {line.split()[1]: int(line.split()[2]) for line in lines if line.startswith("dbsize ") and line.split()[2:]}
    storage = dict(kv.split("=") for kv in base["storage"].split()) if "storage" in base else None
    cores = int(base["cores"])
    argon2_ms = argon2.get("small")

    print(f"Database: {machine.get('database', 'sqlite')}. Machine: {machine['machine']}; "
          f"load average before the run {machine['load_before']:.2f}.\n")
    small = runs["small"]
    limit = small["http_limit"]["rps"]
    print("| method | concurrency | req/s | p50 | p99 | errors | peak RSS | HTTP limit around it | ratio to HTTP limit |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in small.values():
        print(f"| {r['method']} | {r['concurrency']} | {r['rps']:,.0f} | {ms(r['p50'])} | {ms(r['p99'])} | "
              f"{r['errors']} | {r['rss_mib']:.1f} MiB | {limit_of(r, limit):,.0f} | {ratio(r, limit):.1%} |")
    print()
    print(f"- HTTP limit (fixed XML route, same server, same load tool): {limit:,.0f} req/s first; each method's "
          "ratio is to the mean of the HTTP limit measured right before and right after it")
    if storage:
        print(f"- storage limit (device rows inserted directly, synchronous=FULL): "
              f"{float(storage['single_rows_per_s']):,.0f} rows/s one per transaction, "
              f"{float(storage['batched_rows_per_s']):,.0f} rows/s in transactions of 64")
    if argon2_ms and "registration" in small:
        ceiling = cores / (argon2_ms / 1000)
        print(f"- argon2id: {argon2_ms:.1f} ms per hash; registration ceiling {cores} cores / {argon2_ms:.1f} ms "
              f"= {ceiling:,.1f} req/s; registration reached {small['registration']['rps'] / ceiling:.1%} of it "
              "(argon2id timed just before the registration run)")
    if "delay2ms" in runs and "device_create" in small:
        d = runs["delay2ms"]["device_create"]
        print(f"- device_create with a 2 ms commit delay: {d['rps']:,.0f} req/s, p50 {ms(d['p50'])}, "
              f"p99 {ms(d['p99'])}, errors {d['errors']}; {ratio(d, limit):.1%} of the HTTP limit around it, "
              f"{d['rps'] / small['device_create']['rps']:.1%} of device_create without the delay")
    if "small" in dbsize:
        print(f"- database size after the 1,000-user run: {dbsize['small'] / 2**20:.1f} MiB")
    big = runs.get("big")
    if not big:
        return
    print()
    print("Scale: the same measurements with 1,000,000 users, devices and DIDs"
          + (f" (database {dbsize['big'] / 2**20:,.0f} MiB after seeding)" if "big" in dbsize else "") + ".\n")
    print("| method | req/s (1k) | req/s (1M) | p99 (1k) | p99 (1M) | p99 1M / 1k | peak RSS (1M) | ratio to HTTP limit (1M) |")
    print("|---|---|---|---|---|---|---|---|")
    big_limit = big["http_limit"]["rps"]
    for name, r in big.items():
        s = small.get(name)
        if not s:
            continue
        print(f"| {name} | {s['rps']:,.0f} | {r['rps']:,.0f} | {ms(s['p99'])} | {ms(r['p99'])} | "
              f"{r['p99'] / s['p99']:.2f} | {r['rss_mib']:.1f} MiB | {ratio(r, big_limit):.1%} |")
    if "big" in argon2 and "registration" in big:
        big_ceiling = cores / (argon2["big"] / 1000)
        print(f"\nRegistration at 1,000,000 users: {big['registration']['rps'] / big_ceiling:.1%} of its ceiling "
              f"({cores} cores / {argon2['big']:.1f} ms).")


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(*sys.argv[2:])
    else:
        table(*sys.argv[2:])
