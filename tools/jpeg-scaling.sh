#!/usr/bin/env bash
# What DCT-domain JPEG reduction changes in the network's input (tools/JpegScaling.java), over
# folders of real photos. Default: the JPEG wallpapers and backgrounds of Debian's
# plasma-workspace-wallpapers and mate-backgrounds packages (apt-get install them first).
#
# usage: tools/jpeg-scaling.sh [--weights FILE] [DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d target/classes ]] || ./mvnw -q -B -DskipTests compile
./mvnw -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >/dev/null
args=("$@")
(( ${#args[@]} )) || args=(/usr/share/wallpapers /usr/share/backgrounds)
exec java -cp "target/classes:$(cat target/classpath.txt)" tools/JpegScaling.java "${args[@]}"
