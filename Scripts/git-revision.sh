#!/bin/sh
# git-revision.sh ROOT OUT: writes OUT/GitRevision.swift with the short commit of the checkout
# at ROOT, or nil when ROOT is not the top of a git checkout (a tarball, an export; a folder that
# is only inside some other repository does not count). Run before every build by
# Plugins/GitRevision; the file is rewritten only when the revision changed, so an unchanged
# checkout recompiles nothing.
root="$1"; out="$2"
mkdir -p "$out"
revision=""
if top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) \
   && [ "$(cd "$top" && pwd -P)" = "$(cd "$root" && pwd -P)" ]; then
  revision=$(git -C "$root" rev-parse --short=7 HEAD 2>/dev/null)
fi
if [ -n "$revision" ]; then value="\"$revision\""; else value="nil"; fi
printf '// Generated at build time by Plugins/GitRevision: do not edit.\nlet gitRevision: String? = %s\n' "$value" > "$out/GitRevision.swift.new"
if cmp -s "$out/GitRevision.swift.new" "$out/GitRevision.swift"; then
  rm -f "$out/GitRevision.swift.new"
else
  mv "$out/GitRevision.swift.new" "$out/GitRevision.swift"
fi
