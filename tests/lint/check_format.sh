#!/usr/bin/env bash
# Fails, listing the files, when a C++ source under server/, client/ or
# tests/ differs from what clang-format makes of it with the repository's
# .clang-format. Fix with: clang-format-14 -i <file>...
set -euo pipefail
root="$1"
format="${2:-clang-format-14}"
cd "$root"
mapfile -t files < <(find server client tests -type f \( -name '*.cc' -o -name '*.h' \) | sort)
unformatted=()
for f in "${files[@]}"; do
  "$format" --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "not formatted (run $format -i on them):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "${#files[@]} files formatted"
