#!/usr/bin/env bash
# What alexnet.precision=bf16 changes in the network's output against fp32, and how much faster it
# is at batch 32 (tools/Bf16Agreement.java), over folders of real photos, 1,000 inputs by default.
# Default photos: the JPEG wallpapers and backgrounds of Debian's plasma-workspace-wallpapers and
# mate-backgrounds packages (apt-get install them first). Needs a CPU with AVX512_BF16 or AMX.
#
# usage: tools/bf16-agreement.sh [--weights FILE] [--limit N] [DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d target/classes ]] || ./mvnw -q -B -DskipTests compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >/dev/null
args=("$@")
dirs=0
for a in "${args[@]}"; do [[ -d "$a" ]] && dirs=1; done
(( dirs )) || args+=(/usr/share/wallpapers /usr/share/backgrounds)
exec java -cp "target/classes:$(cat target/classpath.txt)" tools/Bf16Agreement.java "${args[@]}"
