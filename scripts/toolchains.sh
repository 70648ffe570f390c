#!/usr/bin/env bash
# Install the toolchains code tasks run with (beyond Python): Node.js (JavaScript), the TypeScript compiler
# and js-md5 (from npm, into .cache/toolchains, ignored by git; found there by assay.sandbox.languages),
# g++ with the OpenSSL and Boost headers some HumanEval-X C++ tasks include (162: openssl/md5.h;
# 22 and 137: boost/any.hpp). Run by scripts/test.sh; run it once before `assay demo` for non-Python tasks.
# A language whose toolchain is missing shows as unavailable on the server (never runs outside the sandbox).
# Usage: bash scripts/toolchains.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
[ -f /usr/include/openssl/md5.h ] || need_apt+=(libssl-dev)
[ -f /usr/include/boost/any.hpp ] || need_apt+=(libboost-dev)
if [ ${#need_apt[@]} -eq 0 ]; then
  echo "      node, npm, g++, OpenSSL and Boost headers present"
elif [ "$(id -u)" = 0 ]; then
  echo "      apt-get install ${need_apt[*]} ..."
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
else
  echo "      missing: ${need_apt[*]} (sudo apt-get install -y ${need_apt[*]})" >&2
fi

ts_dir=.cache/toolchains
if [ -f "$ts_dir/node_modules/typescript/lib/tsc.js" ] && [ -f "$ts_dir/node_modules/js-md5/package.json" ]; then
  echo "      TypeScript $(node -p "require('./$ts_dir/node_modules/typescript/package.json').version") and js-md5 in $ts_dir"
elif command -v npm >/dev/null 2>&1; then
  # typescript@5: the JavaScript compiler (7.x is a native binary); js-md5: HumanEval-X JavaScript/162 requires it
  echo "      npm install typescript@5 js-md5 into $ts_dir ..."
  npm install --prefix "$ts_dir" --no-audit --no-fund --silent typescript@5 js-md5@0.8 \
    || echo "      could not install TypeScript from npm: TypeScript code tasks will show as unavailable" >&2
else
  echo "      npm is missing: TypeScript code tasks will show as unavailable" >&2
fi
