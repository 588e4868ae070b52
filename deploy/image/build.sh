#!/usr/bin/env bash
# Builds the tokend OCI image with no Docker engine and no network but
# Debian's archive: the binaries (Release), a root filesystem of their runtime
# packages (rootfs.sh, mmdebstrap), then one layer and the image config with
# buildah, into the local container storage that podman also reads.
#
# Usage: deploy/image/build.sh [--tag NAME] [--build-dir DIR] [--no-build]
#                              [--oci-archive FILE]
#   --tag          image name (default localhost/tokend:<version>)
#   --build-dir    CMake build directory of the binaries (default build/release,
#                  the one deploy/dev/up.sh uses)
#   --no-build     use the binaries already in --build-dir
#   --oci-archive  also write the image to FILE (oci-archive), e.g. to
#                  `skopeo copy oci-archive:FILE docker://registry/tokend:TAG`
# Needs root (mmdebstrap, chroot, buildah's storage). Installs mmdebstrap and
# buildah from Debian when they are missing. Prints each step's duration.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(sed -n 's/^project(tokend VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
tag="localhost/tokend:$version"
build="$root/build/release"
do_build=1
archive=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --oci-archive) archive="$2"; shift 2 ;;
    *) echo "usage: $0 [--tag NAME] [--build-dir DIR] [--no-build] [--oci-archive FILE]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "build.sh: run as root (mmdebstrap, chroot, image storage)" >&2; exit 1; }

step_start=0
step() { step_start=$SECONDS; echo "== $*"; }
step_done() { echo "   ($((SECONDS - step_start)) s)"; }

step "tools: mmdebstrap, buildah (Debian packages)"
need=()
for p in mmdebstrap buildah dpkg-dev binutils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "   installing: ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
step_done

if [ "$do_build" -eq 1 ]; then
  step "binaries: Release build in $build"
  bash "$root/deploy/dev/install-deps.sh"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOKEND_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j2 --target tokend tokenctl
  step_done
fi
for b in "$build/server/tokend" "$build/client/tokenctl"; do
  [ -x "$b" ] || { echo "build.sh: $b missing (build it, or drop --no-build)" >&2; exit 1; }
done

# Fixed timestamps (the last commit's) so that the same sources give the same
# layer: mmdebstrap and tar use SOURCE_DATE_EPOCH.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"
revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
work="$(mktemp -d "${TMPDIR:-/var/tmp}/tokend-image.XXXXXX")"
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "root filesystem: runtime packages + binaries (mmdebstrap)"
bash "$root/deploy/image/rootfs.sh" "$work/rootfs" "$build/server/tokend" "$build/client/tokenctl" |
  sed 's/^/   /'
tar -C "$work/rootfs" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --numeric-owner \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$work/rootfs.tar" .
step_done

step "image: one layer and its config (buildah)"
ctr="$(buildah from --quiet scratch)"
buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
buildah config \
  --user 65532:65532 \
  --workingdir / \
  --entrypoint '["/usr/local/bin/tokend"]' \
  --cmd 'serve --config /etc/tokend/config/tokend.yaml' \
  --port 8443/tcp --port 9090/tcp \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env TZ=UTC \
  --label org.opencontainers.image.title=tokend \
  --label "org.opencontainers.image.description=tokend token service (gRPC over mutual TLS, JWT) and tokenctl" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" \
  --label org.opencontainers.image.base.name=scratch \
  "$ctr"
buildah commit --quiet --rm --format oci --timestamp "$SOURCE_DATE_EPOCH" "$ctr" "$tag" > "$work/id"
ctr=""
step_done
if [ -n "$archive" ]; then
  step "oci-archive: $archive"
  rm -f "$archive"
  buildah push --quiet "$tag" "oci-archive:$archive:$tag"
  step_done
fi
echo "built $tag (image id $(cut -c1-12 "$work/id"), $(buildah images --format '{{.Size}}' "$tag" | head -1))"
echo "run it: podman run --rm $tag version"
