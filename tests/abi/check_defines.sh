#!/bin/sh
# Every #define of the frozen v1.0 header (abi/v1.0/pmp.h) keeps its value in
# the current one (abi/pmp.h): return codes, capability bits, log levels and
# the ABI major are fixed forever (docs/ABI.md section 4); PMP_ABI_MINOR may
# only grow. abidiff cannot see macros, so this is their guard.
#
#   check_defines.sh ABI_DIR
set -eu
abi=$1
python3 - "$abi/v1.0/pmp.h" "$abi/pmp.h" <<'PY'
import re, sys

def defines(path):
    out = {}
    for m in re.finditer(r'^#define\s+(PMP_[A-Z0-9_]+)(?:[ \t]+(.*?))?\s*$',
                         open(path).read(), re.M):
        out[m.group(1)] = re.sub(r'\s+', ' ', (m.group(2) or '').strip())
    return out

old, new = defines(sys.argv[1]), defines(sys.argv[2])
failed = passed = 0
for name, value in sorted(old.items()):
    if name == 'PMP_ABI_MINOR':
        ok = name in new and int(new[name]) >= int(value)
    elif name in ('PMP_EXPORT', 'PMP_H', 'PMP_API_HAS'):
        ok = name in new  # defined per compiler or multi-line; must exist
    else:
        ok = new.get(name) == value
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name} was {value!r} in v1.0, now {new.get(name)!r}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
