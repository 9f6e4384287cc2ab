#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds two consumers
# against it: one with pkg-config, one with CMake's find_package(synack).
set -eu
bindir=${SYNACK_BINARY_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$bindir" --prefix "$tmp/prefix" >/dev/null
# A sanitizer build installs an instrumented library: the consumer must be too.
san=""
grep -q '^SYNACK_SANITIZE:BOOL=ON' "$bindir/CMakeCache.txt" && san="-fsanitize=address,undefined"
grep -q '^SYNACK_TSAN:BOOL=ON' "$bindir/CMakeCache.txt" && san="-fsanitize=thread"

cat >"$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <synack/synack.h>
static int out(void *u, const uint8_t *f, size_t n, uint64_t now) { (void)u; (void)f; (void)n; (void)now; return 0; }
int main(void) {
    synack_config cfg;
    synack_config_default(&cfg);
    if (synack_ipv4_parse("10.0.0.1", &cfg.addr) != 0) return 1;
    synack_callbacks cb = { .output = out };
    synack_stack *s;
    int rv = synack_stack_new(&cfg, &cb, NULL, NULL, 0, &s);
    if (rv) { printf("%s\n", synack_strerror(rv)); return 1; }
    synack_stack_del(s);
    printf("ok %s\n", synack_version());
    return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c11 -Wall -Werror $san "$tmp/consumer.c" $(pkg-config --cflags --libs synack) \
   -Wl,-rpath,"$(pkg-config --variable=libdir synack)" -o "$tmp/pc-consumer"
"$tmp/pc-consumer" | grep -q '^ok '
echo "ok   pkg-config consumer"

mkdir -p "$tmp/cm"
cat >"$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(synack REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE synack::synack)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
"$tmp/cm/build/consumer" | grep -q '^ok '
echo "ok   find_package consumer"
