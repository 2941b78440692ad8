#!/usr/bin/env sh
# Builds the Lambda zips terraform/aws applies: for each function, the hrms
# binary with that function alone (cargo features
# `<function>,lambda,system-allocator`), and the relay with every function
# (it names their tables), for Graviton (aarch64, provided.al2023), with the
# `lambda` profile (optimised for size, fat LTO, one codegen unit, panics
# abort, symbols stripped at link time: the host's strip cannot read
# aarch64), each installed as `bootstrap` in target/lambda/hrms-<function>.zip.
#
#   terraform/aws/build-zips.sh                 # every function, with `cross` (Docker)
#   HRMS_BUILD=zigbuild terraform/aws/build-zips.sh employee audit
#   HRMS_BUILD=native terraform/aws/build-zips.sh employee   # this host's architecture, to measure
#
# HRMS_BUILD=cross (default) runs `cross build` in cross's aarch64 image,
# which has the C toolchain rdkafka's bundled librdkafka and OpenSSL need;
# HRMS_BUILD=zigbuild runs `cargo zigbuild` (pip install ziglang
# cargo-zigbuild) and needs an aarch64 OpenSSL for the ssl feature;
# HRMS_BUILD=native runs `cargo build` for the host (the sizes and
# hrms-bench figures of docs/benchmarks.md; not what terraform/aws deploys
# unless the host is aarch64).
set -eu

cd "$(dirname "$0")/../.."
target=aarch64-unknown-linux-gnu
out=$(pwd)/target/lambda
build=${HRMS_BUILD:-cross}
if [ "$build" = native ]; then
  built=${CARGO_TARGET_DIR:-target}/lambda/hrms
else
  built=${CARGO_TARGET_DIR:-target}/$target/lambda/hrms
fi
functions=${*:-"user employee compliance audit notification attendance leave relay"}
mkdir -p "$out"

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
