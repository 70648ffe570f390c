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

# Java: Debian's OpenJDK 17 (javac, java); its configuration lives in /etc/java-17-openjdk (bound read-only)
if [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/javac ]; then
  echo "      OpenJDK 17 present"
elif [ "$(id -u)" = 0 ]; then
  echo "      apt-get install openjdk-17-jdk-headless ..."
  apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null \
    || echo "      could not install OpenJDK: Java code tasks will show as unavailable" >&2
else
  echo "      missing: openjdk-17-jdk-headless (sudo apt-get install -y openjdk-17-jdk-headless)" >&2
fi

# Go: Debian's golang-go (1.19); the vendored testify of HumanEval-X (go-vendor.tar.gz + go.mod, from
# ../shared/data/humaneval-x or $ASSAY_GO_VENDOR) unpacked into .cache/toolchains/go, and a build cache there
# with the standard library and testify pre-built (the sandbox copies it: a cold build takes 15-50 s)
if [ ! -x /usr/lib/go-1.19/bin/go ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "      apt-get install golang-go ..."
    apt-get install -y -qq --no-install-recommends golang-go >/dev/null \
      || echo "      could not install golang-go: Go code tasks will show as unavailable" >&2
  else
    echo "      missing: golang-go (sudo apt-get install -y golang-go)" >&2
  fi
fi
go_dir=.cache/toolchains/go
vendor_src=${ASSAY_GO_VENDOR:-../shared/data/humaneval-x}
if [ -x /usr/lib/go-1.19/bin/go ] && [ ! -d "$go_dir/gocache" ]; then
  if [ -f "$vendor_src/go-vendor.tar.gz" ] && [ -f "$vendor_src/go.mod" ]; then
    echo "      Go: vendored testify and a warm build cache into $go_dir ..."
    rm -rf "$go_dir" && mkdir -p "$go_dir/warm"
    tar xzf "$vendor_src/go-vendor.tar.gz" -C "$go_dir"
    cp "$vendor_src/go.mod" "$go_dir/go.mod"
    cp -R "$go_dir/vendor" "$go_dir/go.mod" "$go_dir/warm/"
    cat > "$go_dir/warm/main_test.go" <<'GO'
package main

import (
    "bytes"
    "crypto/md5"
    "fmt"
    "math"
    "math/rand"
    "os"
    "regexp"
    "sort"
    "strconv"
    "strings"
    "testing"
    "time"
    "github.com/stretchr/testify/assert"
)

var _ = []any{bytes.Compare, md5.Sum, fmt.Sprint, math.Abs, rand.Intn, os.Exit, regexp.MustCompile, sort.Ints,
    strconv.Itoa, strings.Split, time.Now}

func TestWarm(t *testing.T) { assert.Equal(t, 1, 1) }
GO
    (cd "$go_dir/warm" && env GOCACHE="$PWD/../gocache" GOPATH="$PWD/../gopath" GOFLAGS="-mod=vendor -trimpath" \
      GOPROXY=off CGO_ENABLED=0 /usr/lib/go-1.19/bin/go test -c -o /dev/null .) \
      || echo "      could not pre-build the Go cache: Go code tasks will show as unavailable" >&2
    rm -rf "$go_dir/warm" "$go_dir/gopath"
    [ -d "$go_dir/gocache" ] || rm -rf "$go_dir"
    chmod -R a+rX "$go_dir" 2>/dev/null || true
  else
    echo "      Go: $vendor_src/go-vendor.tar.gz is missing: Go code tasks will show as unavailable" >&2
  fi
elif [ -d "$go_dir/gocache" ]; then
  echo "      Go $(/usr/lib/go-1.19/bin/go env GOVERSION) with vendored testify and a warm build cache in $go_dir"
fi

# Rust: Debian's rustc (1.63) and cargo, and the crates HumanEval-X's Rust tasks use (rand, regex, md5) from
# Debian's packaged sources (/usr/share/cargo/registry), built once offline here into .cache/toolchains/rust/deps
# (the sandbox runs only `rustc --test` with them as --extern: no cargo, no build script at run time)
need_rust=()
[ -x /usr/bin/rustc ] || need_rust+=(rustc)
[ -x /usr/bin/cargo ] || need_rust+=(cargo)
for crate in regex md5 rand; do
  ls -d /usr/share/cargo/registry/$crate-[0-9]* >/dev/null 2>&1 || need_rust+=(librust-$crate-dev)
done
if [ ${#need_rust[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "      apt-get install ${need_rust[*]} ..."
    apt-get install -y -qq --no-install-recommends "${need_rust[@]}" >/dev/null \
      || echo "      could not install ${need_rust[*]}: Rust code tasks will show as unavailable" >&2
  else
    echo "      missing: ${need_rust[*]} (sudo apt-get install -y ${need_rust[*]})" >&2
  fi
fi
rust_dir=.cache/toolchains/rust
if [ -d "$rust_dir/deps" ]; then
  echo "      Rust $(/usr/bin/rustc --version | cut -d' ' -f2) with rand, regex and md5 built in $rust_dir/deps"
elif [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ]; then
  echo "      Rust: building rand, regex and md5 offline into $rust_dir/deps ..."
  rm -rf "$rust_dir" && mkdir -p "$rust_dir/build/src" "$rust_dir/build/.cargo"
  cat > "$rust_dir/build/Cargo.toml" <<'TOML'
[package]
name = "assay-crates"
version = "0.1.0"
edition = "2021"

[dependencies]
rand = "0.8"
regex = { version = "1", default-features = false, features = ["std", "unicode"] }
md5 = "0.7"
TOML
  cat > "$rust_dir/build/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
TOML
  : > "$rust_dir/build/src/lib.rs"
  # Debian's rustc (not a rustup one on PATH): the .rlibs must match the rustc the sandbox runs
  (cd "$rust_dir/build" && env -i PATH=/usr/bin:/bin HOME="$PWD" CARGO_HOME="$PWD/.cargo-home" RUSTC=/usr/bin/rustc \
    /usr/bin/cargo build --offline --quiet) \
    && mkdir -p "$rust_dir/deps" && cp "$rust_dir"/build/target/debug/deps/*.rlib "$rust_dir/deps/" \
    && rm -f "$rust_dir"/deps/libassay_crates-*.rlib \
    || echo "      could not build the Rust crates: Rust code tasks will show as unavailable" >&2
  rm -rf "$rust_dir/build"
  chmod -R a+rX "$rust_dir" 2>/dev/null || true
else
  echo "      rustc/cargo missing: Rust code tasks will show as unavailable" >&2
fi
