#!/usr/bin/env bash
# No container registry answers from our build machines, so the base images are made locally:
#   eclipse-temurin:17-jre   a jlink'ed JRE of the host's JDK 17, the shared libraries it and ND4J's
#                            natives need (libstdc++, libgcc_s, libgomp), and busybox as /bin/sh;
#   prom/prometheus:v2.42.0  Debian's prometheus binary, for docker-compose.
# They carry the public names so that the Dockerfile and docker-compose.yml stay as users elsewhere
# run them. Needs a running Docker engine (DOCKER_HOST) and busybox-static.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"

copy_libs() {  # copy_libs ROOT FILE...: the shared libraries the files need, and the loader
  local root="$1"; shift
  for f in "$@"; do
    ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}'
  done | sort -u | while read -r lib; do
    [[ -e "$lib" ]] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

busybox_into() {
  local root="$1"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh ls cat mkdir rm mv cp echo env sleep wget sha256sum grep sed tar id; do
    ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/tmp:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\n' > "$root/etc/group"
}

echo "== eclipse-temurin:17-jre (jlink of $jdk)"
jre="$work/jre/opt/java/openjdk"
"$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules ALL-MODULE-PATH --strip-debug --no-man-pages \
  --no-header-files --compress=2 --output "$jre"
busybox_into "$work/jre"
mapfile -t elves < <(find "$jre" -type f \( -name '*.so' -o -path '*/bin/*' \))
extra=()
for lib in libstdc++.so.6 libgcc_s.so.1 libgomp.so.1 libz.so.1 libpthread.so.0 libdl.so.2 librt.so.1 libm.so.6 libc.so.6 libquadmath.so.0 libgfortran.so.5; do
  path="$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found {print $NF; found = 1}')"
  [[ -n "$path" ]] && extra+=("$path")
done
# TurboJPEG, at the paths Debian's and Ubuntu's libturbojpeg-java install it, as the Dockerfile
# would install it from apt on the real base (preprocess/TurboJpeg).
turbo_lib="$(readlink -f /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0)"
mkdir -p "$work/jre/usr/share/java" "$work/jre/usr/lib/x86_64-linux-gnu"
cp /usr/share/java/turbojpeg.jar "$work/jre/usr/share/java/turbojpeg.jar"
cp "$turbo_lib" "$work/jre/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0"
copy_libs "$work/jre" "$turbo_lib"
copy_libs "$work/jre" "${elves[@]}" "${extra[@]}"
for lib in "${extra[@]}"; do mkdir -p "$work/jre$(dirname "$lib")"; cp -L "$lib" "$work/jre$lib"; done
tar -C "$work/jre" -c . | docker import \
  -c 'ENV JAVA_HOME=/opt/java/openjdk' -c 'ENV PATH=/opt/java/openjdk/bin:/usr/bin:/bin' \
  -c 'ENV LANG=C.UTF-8' - eclipse-temurin:17-jre >/dev/null
docker run --rm eclipse-temurin:17-jre java -version 2>&1 | sed -n 1p

echo "== prom/prometheus:v2.42.0 (Debian's binary)"
busybox_into "$work/prom"
mkdir -p "$work/prom/bin" "$work/prom/etc/prometheus" "$work/prom/prometheus"
cp "$(command -v prometheus)" "$work/prom/bin/prometheus"
cp "$(command -v promtool)" "$work/prom/bin/promtool"
copy_libs "$work/prom" "$work/prom/bin/prometheus"
chmod 777 "$work/prom/prometheus"
tar -C "$work/prom" -c . | docker import \
  -c 'ENTRYPOINT ["/bin/prometheus"]' \
  -c 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' \
  -c 'EXPOSE 9090' - prom/prometheus:v2.42.0 >/dev/null
docker run --rm prom/prometheus:v2.42.0 --version 2>&1 | sed -n 1p
