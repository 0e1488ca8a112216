#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/, README there) for a while each and prints, per target,
# how many inputs ran, how fast, the coverage libFuzzer reached and what it found.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (default 600 s, every target)
#
# Environment: FUZZ_JOBS (targets at once, default 1), FUZZ_NICE (niceness, default 10),
# FUZZ_SANITIZER (default none: the engine has no unsafe code; `address` finds more in its
# dependencies, at half the speed), FUZZ_TIMEOUT (seconds before one input counts as hung,
# default 60: the key file KDFs are bounded, not fast), FUZZ_SLOW (seconds from which one input
# is saved as `slow-unit-*` and counted in the `slow` column, default 5).
#
# A stable toolchain builds it: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly flags.
# The corpus grows under fuzz/corpus/TARGET (not committed), seeded from fuzz/seeds/TARGET;
# findings land in fuzz/artifacts/TARGET/ and the log of the last run in
# fuzz/artifacts/TARGET/run.log. A finding is kept, once fixed, under fuzz/regressions/TARGET/
# where tests/fuzz_regressions.rs replays it in every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

secs=${1:-600}
shift || true
jobs=${FUZZ_JOBS:-1}
sanitizer=${FUZZ_SANITIZER:-none}
niceness=${FUZZ_NICE:-10}
timeout=${FUZZ_TIMEOUT:-60}
slow=${FUZZ_SLOW:-5}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

# The fuzz crate is a workspace of its own: start from the main lock file, so the dependencies
# fuzzed are the versions that ship (cargo adds libfuzzer-sys and drops what is unused).
cp ../Cargo.lock Cargo.lock
nice -n "$niceness" cargo fuzz build -O -a -s "$sanitizer"
bin_dir=target/x86_64-unknown-linux-gnu/release

run_one() {
    local t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -d "seeds/$t" ]; then
        cp -n "seeds/$t"/* "corpus/$t"/ 2>/dev/null || true
    fi
    touch "artifacts/$t/.start"
    # libFuzzer stops at its first finding: the table says how long it ran.
    nice -n "$niceness" "$bin_dir/$t" "corpus/$t" \
        -artifact_prefix="artifacts/$t/" -dict=ssh.dict -max_total_time="$secs" -timeout="$timeout" \
        -report_slow_units="$slow" -rss_limit_mb=2048 -print_final_stats=1 \
        >"artifacts/$t/run.log" 2>&1 || true
}

running=0
for t in "${targets[@]}"; do
    [ -x "$bin_dir/$t" ] || { echo "no target $t (cargo fuzz list)" >&2; exit 2; }
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

printf '\n%-17s %8s %11s %7s %6s %6s %6s %5s  %s\n' target seconds execs exec/s cov ft corpus slow \
    findings
status=0
for t in "${targets[@]}"; do
    log="artifacts/$t/run.log"
    final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    execs=$(final_stat number_of_executed_units)
    rate=$(final_stat average_exec_per_sec)
    ran=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    found=$(find "artifacts/$t" -maxdepth 1 -type f -newer "artifacts/$t/.start" \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
    n=$(grep -c . <<<"$found" || true)
    [ "$n" -gt 0 ] && status=1
    slow_units=$(find "artifacts/$t" -maxdepth 1 -type f -newer "artifacts/$t/.start" \
        -name 'slow-unit-*' | sort)
    ns=$(grep -c . <<<"$slow_units" || true)
    printf '%-17s %8s %11s %7s %6s %6s %6s %5s  %s\n' "$t" "${ran:-stopped}" "${execs:--}" \
        "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}" "$ns" "$n"
    for f in $found $slow_units; do echo "    $f"; done
done
exit $status
