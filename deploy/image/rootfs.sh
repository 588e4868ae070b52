#!/usr/bin/env bash
# Makes the image's root filesystem in <out dir> from Debian 12 packages and
# the two binaries, with no container engine:
#   - the runtime packages: the Debian packages that own the shared libraries
#     the binaries load (ldd, then dpkg -S, on the machine that built them),
#     unpacked with their dependencies by `mmdebstrap --variant=extract` from
#     the apt sources this machine uses (no shell, no apt, no dpkg in the
#     image);
#   - /usr/local/bin/tokend and /usr/local/bin/tokenctl (stripped);
#   - a user and group tokend (65532), /etc/tokend, /tmp;
#   - /var/lib/dpkg/status listing the unpacked packages (for scanners), and
#     an ld.so cache.
# Used by build.sh and by the Containerfile, so both produce the same content.
# Usage: rootfs.sh <out dir> <tokend> <tokenctl>
# Needs: root (chroot, ownership), mmdebstrap, dpkg-deb, strip (binutils).
# SOURCE_DATE_EPOCH, when set, fixes the timestamps mmdebstrap writes.
set -euo pipefail
out="$1" tokend="$2" tokenctl="$3"
# The apt sources this machine uses (one-line or deb822 files), unless
# TOKEND_APT_SOURCES names others (space-separated files).
read -r -a sources <<< "${TOKEND_APT_SOURCES:-}"
if [ ${#sources[@]} -eq 0 ]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$f" ] && grep -q '^[^#]' "$f" && sources+=("$f")
  done
fi
[ ${#sources[@]} -gt 0 ] || { echo "rootfs.sh: no apt sources found (set TOKEND_APT_SOURCES)" >&2; exit 1; }

# The packages owning every shared library the binaries load.
runtime_packages() {
  local lib real pkg
  for lib in $(ldd "$@" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u); do
    real="$(readlink -f "$lib")"
    pkg=""
    for candidate in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr$lib" "/usr$real"; do
      pkg="$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1)" && [ -n "$pkg" ] && break
    done
    [ -n "$pkg" ] || { echo "rootfs.sh: no Debian package owns $lib" >&2; return 1; }
    echo "$pkg"
  done | sort -u
}
mapfile -t packages < <(runtime_packages "$tokend" "$tokenctl")
echo "runtime packages (${#packages[@]}): ${packages[*]}"

rm -rf "$out"
mmdebstrap --quiet --variant=extract --include="$(IFS=,; echo "${packages[*]}")" \
  --skip=cleanup/apt/cache \
  bookworm "$out" "${sources[@]}"

# A dpkg status file from the archives that were unpacked, then no apt state.
status="$out/var/lib/dpkg/status"
: > "$status"
for deb in "$out"/var/cache/apt/archives/*.deb; do
  {
    echo "Package: $(dpkg-deb -f "$deb" Package)"
    echo "Status: install ok installed"
    dpkg-deb -f "$deb" Version Architecture Multi-Arch Source Maintainer Installed-Size \
      Depends Pre-Depends Homepage Description
    echo
  } >> "$status"
done
echo "unpacked packages ($(grep -c '^Package:' "$status")): $(grep '^Package:' "$status" | cut -d' ' -f2 | tr '\n' ' ')"
# The runtime supplies /dev, /etc/hostname and /etc/resolv.conf.
rm -rf "$out"/dev/* "$out"/etc/hostname "$out"/etc/resolv.conf "$out"/var/cache/apt "$out"/var/lib/apt "$out"/etc/apt "$out"/var/log/* \
  "$out"/usr/share/man "$out"/usr/share/locale "$out"/usr/share/lintian "$out"/usr/share/info

install -d -m 0755 "$out/usr/local/bin" "$out/etc/tokend"
install -m 0755 "$tokend" "$out/usr/local/bin/tokend"
install -m 0755 "$tokenctl" "$out/usr/local/bin/tokenctl"
strip --strip-unneeded "$out/usr/local/bin/tokend" "$out/usr/local/bin/tokenctl"
install -d -m 1777 "$out/tmp"

# uid/gid 65532 ("nonroot" in distroless images): libpq and glibc look the
# user up, so it has an entry; no shell, no home.
cat > "$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
tokend:x:65532:65532:tokend:/nonexistent:/usr/sbin/nologin
EOF
cat > "$out/etc/group" <<'EOF'
root:x:0:
tokend:x:65532:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$out/etc/nsswitch.conf"
[ -f "$out/etc/ld.so.conf" ] || echo 'include /etc/ld.so.conf.d/*.conf' > "$out/etc/ld.so.conf"
ldconfig -r "$out"

# Every library resolves inside the root filesystem.
missing="$(chroot "$out" /lib64/ld-linux-x86-64.so.2 --list /usr/local/bin/tokend 2>&1 |
  grep 'not found' || true)"
[ -z "$missing" ] || { echo "rootfs.sh: missing in the image: $missing" >&2; exit 1; }
chroot "$out" /usr/local/bin/tokend version
echo "root filesystem: $out ($(du -sh "$out" | cut -f1))"
