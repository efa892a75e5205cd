# lfsbuild: a C11 program; see README.md.
#   make            build ./lfsbuild
#   make check      build with AddressSanitizer + UBSan, run every test (tests/run)
#   make deps       install the packages lfsbuild all and the tests need (scripts/deps, per distribution)
#   make deps-run   only what lfsbuild all needs
#   make bench      run the benchmark scripts (figures go to docs/BENCHMARKS.md)

CC      ?= cc
PKGS    := libcurl libarchive libcrypto zlib jansson libzstd
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wmissing-prototypes \
           -Wstrict-prototypes -Wno-unused-parameter
ifneq ($(WERROR),0)
WARN    += -Werror
endif
VERSION := $(shell cat VERSION)
CPPFLAGS_ALL := $(WARN) -iquote src -DLFSBUILD_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
LIBS    := $(shell pkg-config --libs $(PKGS)) -lcrypt -lpthread

# src/AREA/MODULE.c (docs/architecture.md); headers are included as "AREA/MODULE.h".
SRCS    := $(wildcard src/*/*.c)
HDRS    := $(wildcard src/*/*.h)
OBJS    := $(SRCS:src/%.c=build/obj/%.o)
SANOBJS := $(SRCS:src/%.c=build/san/%.o)
MAINOBJ := build/san/cli/main.o
SANFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNITSRC:tests/unit/%.c=build/san/tests/%)

all: lfsbuild

lfsbuild: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

build/obj/%.o: src/%.c $(HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The sanitizer build: everything the tests run.
build/san/%.o: src/%.c $(HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(SANFLAGS) -c -o $@ $<

build/san/lfsbuild: $(SANOBJS)
	$(CC) $(SANFLAGS) -o $@ $(SANOBJS) $(LIBS)

build/san/tests/%: tests/unit/%.c $(filter-out $(MAINOBJ),$(SANOBJS)) tests/unit/unit.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -iquote tests/unit $(SANFLAGS) -o $@ $< \
	    $(filter-out $(MAINOBJ),$(SANOBJS)) $(LIBS) -lcmocka

check: lfsbuild build/san/lfsbuild $(UNITBIN)
	tests/run

deps:
	scripts/install-deps all

deps-run:
	scripts/install-deps run

# bench/capture-cost (bench/capture-cost.sh): the engine's post-step capture work on an archive
build/bench/capture-cost: bench/capture-cost.c $(filter-out build/obj/cli/main.o,$(OBJS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) -o $@ $< $(filter-out build/obj/cli/main.o,$(OBJS)) $(LIBS)

bench: lfsbuild
	@for b in bench/fetch.sh bench/engine.sh bench/image.sh; do echo "== $$b"; bash $$b || exit 1; done
	@echo "A real build: bench/build.sh LABEL WORKDIR [UNTIL] (see docs/BENCHMARKS.md)"

clean:
	rm -rf build lfsbuild

.PHONY: all check deps deps-run bench clean
