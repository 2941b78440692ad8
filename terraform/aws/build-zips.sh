#!/usr/bin/env sh
# Builds the Lambda zips terraform/aws applies: for each function, the hrms
# binary with that function alone (cargo features
# `<function>,lambda,system-allocator`), and the relay with every function
# (it names their tables), for Graviton (aarch64, provided.al2023), with the
# `lambda` profile (optimised for size, fat LTO, one codegen unit, panics
# abort, symbols stripped at link time: the host's strip cannot read
# aarch64), each installed as `bootstrap` in target/lambda/hrms-<function>.zip.
#
#   terraform/aws/build-zips.sh                 # every function, with `cargo zigbuild`
#   terraform/aws/build-zips.sh employee audit
#   HRMS_BUILD=native terraform/aws/build-zips.sh employee   # this host's architecture, to measure
#
# HRMS_BUILD=zigbuild (default) runs `cargo zigbuild`, zig as the aarch64 C
# compiler and linker, on an x86_64 Debian or Ubuntu host set up once:
#   python3 -m venv ~/.cache/hrms/zig/venv && ~/.cache/hrms/zig/venv/bin/pip install ziglang cargo-zigbuild
#   export PATH=~/.cache/hrms/zig/venv/bin:$PATH   # cargo-zigbuild on PATH
#   rustup target add aarch64-unknown-linux-gnu
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libssl-dev:arm64          # rdkafka's `ssl` feature
# The bootstrap links libssl.so.3 and libcrypto.so.3 (Amazon Linux 2023's
# OpenSSL 3) and glibc 2.34 at most. ZIG_OPENSSL_LIB and ZIG_OPENSSL_INCLUDE
# name another aarch64 OpenSSL 3: its lib dir, and the dir holding its
# openssl/configuration.h.
# HRMS_BUILD=cross runs `cross build` in cross's aarch64 image (Docker;
# never tried: its image has no aarch64 OpenSSL unless given one, and
# librdkafka's configure takes the plain CC, as below).
# HRMS_BUILD=native runs `cargo build` for the host (the sizes and
# hrms-bench figures of docs/benchmarks.md; not what terraform/aws deploys
# unless the host is aarch64).
set -eu

cd "$(dirname "$0")/../.."
target=aarch64-unknown-linux-gnu
out=$(pwd)/target/lambda
build=${HRMS_BUILD:-zigbuild}
if [ "$build" = native ]; then
  built=${CARGO_TARGET_DIR:-target}/lambda/hrms
else
  built=${CARGO_TARGET_DIR:-target}/$target/lambda/hrms
fi
functions=${*:-"user employee compliance audit notification attendance leave relay"}
mkdir -p "$out"

if [ "$build" = zigbuild ]; then
  if ! command -v cargo-zigbuild > /dev/null; then
    echo "cargo-zigbuild is not on PATH: pip install ziglang cargo-zigbuild" >&2
    exit 2
  fi
  ssl_lib=${ZIG_OPENSSL_LIB:-/usr/lib/aarch64-linux-gnu}
  ssl_include=${ZIG_OPENSSL_INCLUDE:-/usr/include/aarch64-linux-gnu}
  if [ ! -e "$ssl_lib/libssl.so" ] || [ ! -e "$ssl_include/openssl/configuration.h" ]; then
    echo "no aarch64 OpenSSL in $ssl_lib and $ssl_include: apt-get install libssl-dev:arm64" >&2
    exit 2
  fi
  # openssl-sys: the aarch64 OpenSSL (Debian's multiarch headers: the
  # architecture's in $ssl_include, the others in /usr/include, searched
  # after zig's libc headers).
  export AARCH64_UNKNOWN_LINUX_GNU_OPENSSL_LIB_DIR="$ssl_lib"
  export AARCH64_UNKNOWN_LINUX_GNU_OPENSSL_INCLUDE_DIR="$ssl_include"
  cflags="-I$ssl_include -idirafter /usr/include"
  export CFLAGS_aarch64_unknown_linux_gnu="$cflags"
  # rdkafka-sys configures librdkafka (mklove) with the plain CC, CXX,
  # CFLAGS and LDFLAGS, not cargo-zigbuild's CC_<target>; host C code keeps
  # the host's. `make libs` also links librdkafka.so and librdkafka++.so,
  # whose version script names a symbol the build leaves out: zig's lld
  # refuses that unless told.
  zig="cargo-zigbuild zig"
  zig_target="-target aarch64-linux-gnu.2.34 -fno-sanitize=all"
  export CC="$zig cc -- $zig_target" CXX="$zig c++ -- $zig_target" \
    CFLAGS="$cflags" LDFLAGS="-L$ssl_lib -Wl,--undefined-version"
  export HOST_CC=cc HOST_CXX=c++ HOST_CFLAGS=""
fi

for function in $functions; do
  if [ "$function" = relay ]; then
    features=lambda,system-allocator; defaults=""
  else
    features="$function,lambda,system-allocator"; defaults=--no-default-features
  fi
  case "$build" in
    cross) cross build --profile lambda --target "$target" -p hrms $defaults --features "$features" ;;
    zigbuild) cargo zigbuild --profile lambda --target "$target.2.34" -p hrms $defaults --features "$features" ;;
    native) cargo build --profile lambda -p hrms $defaults --features "$features" ;;
    *) echo "HRMS_BUILD is cross, zigbuild or native" >&2; exit 2 ;;
  esac
  dir=$(mktemp -d)
  cp "$built" "$dir/bootstrap"
  rm -f "$out/hrms-$function.zip"
  (cd "$dir" && zip -q -9 "$out/hrms-$function.zip" bootstrap)
  rm -rf "$dir"
  ls -l "$out/hrms-$function.zip"
done
