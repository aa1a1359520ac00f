#!/usr/bin/env bash
# The tests (what CI runs, through .ci/run): the whole suite, then on their own the two tests
# that measure arrivals per sliding second at the sandbox across several processes
# (ScaleOutSimulationTests: six; TenantRateBudgetTests' threeProcesses…: three). Run among a
# hundred other tests on two cores, a process or the server stalls for 100 ms and more, and a
# second's arrivals (or a process's share of them) say more of the machine than of the shared
# rate budget. They run one after the other. Arguments go to the first `swift test` (e.g. --parallel).
set -euo pipefail
cd "$(dirname "$0")/.."
alone='ScaleOutSimulationTests|threeProcessesOfOneTenantKeepItsRateAndShareItEvenly'
swift test --skip "$alone" "$@"
swift test --skip-build --no-parallel --filter "$alone"
