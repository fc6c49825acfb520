#!/usr/bin/env bash
# Counts the public API of the facade crate `auth` two ways:
#   - paths: the item pages `cargo doc` writes for `auth` (one per public path to a struct, enum,
#     trait, function, constant, type alias, macro or attribute; an item re-exported under two
#     paths counts twice);
#   - declarations: `pub` items declared in the runtime and the facade sources (methods and
#     fields included; `pub(crate)` and friends excluded).
#
#   bash scripts/public-items.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo doc --quiet --no-deps --features full -p auth 2>/dev/null
paths=$(find target/doc/auth -name '*.html' \
  | grep -cE '/(struct|enum|trait|fn|constant|type|macro|attr|static|derive)\.[^/]+\.html$')
declarations=$(grep -rhE '^\s*pub (async )?(fn|struct|enum|trait|const|type|mod|use|static)\b' \
  auth-runtime/src src | wc -l)
echo "public paths in the facade's docs: $paths"
echo "pub declarations in auth-runtime/src and src: $declarations"
