#!/usr/bin/env bash
# Paired cold-process measurement of a population run (docs/performance.md, "Population runs").
# Generates the population (unless it exists), builds the CLI and P in Release, then runs N pairs back to back:
# P (parse only) then `healthrecord aggregate`, each as a cold process under /usr/bin/time, and prints every
# pair, the medians and the paired ratios. Nothing is left running; outputs go under $WORK.
#
#   tests/HealthRecord.Sdk.Population/measure.sh [--copies 5] [--runs 3] [--cores 1|2|…] [--no-build]
#     --copies N  population size: 5 = 1× (115 people, 1,105 files), 20 = 4×, 80 = 16×
#     --cores N   run aggregate on N cores only (taskset -c 0..N-1: the runtime, its GC and JIT threads see N cores;
#                 default: all cores)
#   env: HEALTHRECORD_CORPUS (default /work/shared/corpus, else ../shared/corpus), WORK (default /tmp/hr-population)
set -euo pipefail
copies=5 runs=3 cores="" build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --copies) copies="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --cores) cores="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="${HEALTHRECORD_CORPUS:-/work/shared/corpus}"
[[ -d "$corpus" ]] || corpus="$repo/../shared/corpus"
work="${WORK:-/tmp/hr-population}"
pop="$work/pop-$copies"
if [[ ! -d "$pop" ]]; then
  python3 "$repo/tests/HealthRecord.Sdk.Population/generate.py" --corpus "$corpus" --copies "$copies" --emrs 10 --out "$pop"
fi
if [[ $build == 1 ]]; then
  dotnet build -c Release "$repo/docs/samples/HealthRecord.Cli" -v q -nologo >/dev/null
  dotnet build -c Release "$repo/tests/HealthRecord.Sdk.Population" -v q -nologo >/dev/null
fi
cli="$repo/docs/samples/HealthRecord.Cli/bin/Release/net10.0/healthrecord.dll"
p="$repo/tests/HealthRecord.Sdk.Population/bin/Release/net10.0/HealthRecord.Sdk.Population.dll"
sources=()
for d in "$pop"/emr-*; do sources+=(--source "$(basename "$d")=$d"); done
echo "population: $(ls "$pop"/emr-*/* | wc -l) files, $(du -shL "$pop" | cut -f1); cores for aggregate: ${cores:-all ($(nproc))}; load: $(cut -d' ' -f1-3 /proc/loadavg)"
pt=() pm=() at=() am=() ratios=()
for i in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e %M" -o "$work/p.time" dotnet "$p" "$pop" >/dev/null
  rm -rf "$work/out"; mkdir -p "$work/out/ehrs"
  if [[ -n "$cores" ]]; then
    taskset -c "0-$((cores - 1))" /usr/bin/time -f "%e %M %U %S" -o "$work/a.time" dotnet "$cli" aggregate "${sources[@]}" --out "$work/out/ehrs" --lineage "$work/out/lineage.csv" >"$work/aggregate.log" 2>&1
  else
    /usr/bin/time -f "%e %M %U %S" -o "$work/a.time" dotnet "$cli" aggregate "${sources[@]}" --out "$work/out/ehrs" --lineage "$work/out/lineage.csv" >"$work/aggregate.log" 2>&1
  fi
  read -r ps pk < "$work/p.time"; read -r as ak au asys < "$work/a.time"
  pt+=("$ps"); pm+=("$pk"); at+=("$as"); am+=("$ak")
  ratios+=("$(echo "$as / $ps" | bc -l)")
  printf 'pair %d: P %6.2f s %4d MB | aggregate %6.2f s %4d MB (CPU %.1f s) | ratio %.2f × P | load %s\n' "$i" "$ps" $((pk / 1024)) "$as" $((ak / 1024)) "$(echo "$au + $asys" | bc -l)" "${ratios[-1]}" "$(cut -d' ' -f1 /proc/loadavg)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf 'median: P %.2f s, %d MB | aggregate %.2f s, %d MB | paired ratio %.2f × P | RSS ratio %.2f × P\n' \
  "$(median "${pt[@]}")" $(( $(median "${pm[@]}") / 1024 )) "$(median "${at[@]}")" $(( $(median "${am[@]}") / 1024 )) "$(median "${ratios[@]}")" \
  "$(echo "$(median "${am[@]}") / $(median "${pm[@]}")" | bc -l)"
