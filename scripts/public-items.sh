#!/usr/bin/env bash
# Counts the public API of the facade crate `auth`: the item pages `cargo doc` writes for it,
# one per public path to a struct, enum, trait, function, constant, type alias, macro or
# attribute (an item re-exported under two paths counts twice), leaving out the hidden
# `__private` module that the macros' output calls. Also lists the item names reachable by more
# than one path.
#
#   bash scripts/public-items.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf target/doc/auth
cargo doc --quiet --no-deps --features full -p auth 2>/dev/null
pages=$(find target/doc/auth -name '*.html' -not -path '*/__private/*' \
  | grep -E '/(struct|enum|trait|fn|constant|type|macro|attr|static|derive)\.[^/]+\.html$')
echo "public paths in the facade's docs: $(wc -l <<<"$pages")"
echo "items reachable by two paths or more: $(sed 's#.*/##' <<<"$pages" | sort | uniq -d | wc -l)"
