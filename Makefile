# SurgeMQ release builds: cross-compiled binaries, Debian packages, and ARM checks under QEMU.
# `make help` lists the targets; every variable in CAPITALS above the targets can be overridden
# on the command line (make deb CONFIG=/path/to/surgemq.toml).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

GO   ?= go
DIST ?= dist

# Commands under cmd/ to build and package. One whose cmd/<name> directory does not exist yet is
# skipped with a note, so the list can name commands before they are written.
CMDS ?= surgemq pingmq

# Release platforms: the name is the binary suffix (dist/surgemq_linux_armv6), GOENV_<name> how
# it is built. GOARM=6 runs on every 32-bit Pi (Zero and 1 included); GOARM=7 only on Pi 2 and up.
PLATFORMS ?= linux_armv6 linux_armv7 linux_arm64 linux_amd64
GOENV_linux_armv6 := GOOS=linux GOARCH=arm GOARM=6
GOENV_linux_armv7 := GOOS=linux GOARCH=arm GOARM=7
GOENV_linux_arm64 := GOOS=linux GOARCH=arm64
GOENV_linux_amd64 := GOOS=linux GOARCH=amd64

# Debian packages: Debian architecture -> the platform whose binaries it ships.
DEB_ARCHES ?= armhf arm64 amd64
DEBPLATFORM_armhf := linux_armv6
DEBPLATFORM_arm64 := linux_arm64
DEBPLATFORM_amd64 := linux_amd64

# Only an explicit `make VERSION=...` overrides git; a VERSION in the environment is ignored.
ifneq ($(origin VERSION),command line)
VERSION := $(or $(shell git describe --tags --always --dirty 2>/dev/null),dev)
endif
ifneq ($(origin DEB_VERSION),command line)
DEB_VERSION := $(shell packaging/deb-version.sh '$(VERSION)')
endif
DEB_MAINTAINER ?= SurgeMQ developers <surgemq@users.noreply.github.com>
# The conffile /etc/surgemq/surgemq.toml of the packages.
CONFIG ?= configs/surgemq.toml

# Size budget of the stripped armv6 surgemq binary (decimal MB: 12 MB = 12,000,000 bytes).
SIZE_BUDGET_BYTES ?= 12000000

# nfpm runs at a pinned version through the module proxy, outside this module's go.mod.
NFPM_VERSION ?= v2.45.2
NFPM ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

# ARM under QEMU user-mode emulation (Debian's qemu-user-static; no binfmt_misc needed).
# arm1176 is the Pi Zero / Pi 1 CPU: a GOARM=7 instruction or a misaligned 64-bit atomic fails there.
QEMU_ARM     ?= qemu-arm-static -cpu arm1176
QEMU_ARM64   ?= qemu-aarch64-static
ARM_TEST_PKGS ?= ./mqtt/packet/ ./mqtt/topic/ ./broker/...
# Tests that re-execute their own test binary as a child (kill -9 crash tests) cannot run under
# user-mode QEMU without binfmt_misc, which containers lack: skip them there.
ARM_TEST_SKIP ?= ^TestCrash
ARM_TEST_TIMEOUT ?= 10m
# -trimpath as in dist, so the two share compiled packages in the build cache.
ARM_TEST_FLAGS = -count=1 -trimpath -timeout $(ARM_TEST_TIMEOUT) $(if $(ARM_TEST_SKIP),-skip '$(ARM_TEST_SKIP)')

GO_LDFLAGS := -s -w -X main.version=$(VERSION)
# Reproducible package timestamps: the last commit's time.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
export SOURCE_DATE_EPOCH

.PHONY: help version dist sums sizes deb deb-config check-deb test-arm smoke-arm clean-dist

help: ## list the targets
	@echo "SurgeMQ build targets (VERSION=$(VERSION), DEB_VERSION=$(DEB_VERSION)):"
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 20

version: ## print VERSION (git describe, or "dev")
	@echo '$(VERSION)'

# Commands of CMDS that exist (are built) and that do not yet (get a note).
BUILD_CMDS   := $(foreach c,$(CMDS),$(if $(wildcard cmd/$(c)/*.go),$(c)))
MISSING_CMDS := $(filter-out $(BUILD_CMDS),$(CMDS))

# build_one,CMD,PLATFORM: the recipe lines that build dist/CMD_PLATFORM.
define build_one
	$(if $(GOENV_$(2)),,$(error unknown platform $(2): add GOENV_$(2) to the Makefile))
	@echo "go build $(1) for $(2): $(GOENV_$(2))"
	@env CGO_ENABLED=0 $(GOENV_$(2)) $(GO) build -trimpath -ldflags='$(GO_LDFLAGS)' -o $(DIST)/$(1)_$(2) ./cmd/$(1)

endef

dist: ## cross-compile CMDS for PLATFORMS into dist/, SHA256SUMS, size budget
	@mkdir -p $(DIST)
	@rm -f $(foreach c,$(CMDS),$(foreach p,$(PLATFORMS),$(DIST)/$(c)_$(p)))
	@$(foreach c,$(MISSING_CMDS),echo "note: cmd/$(c) does not exist yet; not building $(c)";) true
	@$(if $(BUILD_CMDS),true,echo "dist: none of cmd/{$(CMDS)} exists" >&2; exit 1)
	$(foreach c,$(BUILD_CMDS),$(foreach p,$(PLATFORMS),$(call build_one,$(c),$(p))))
	@$(MAKE) --no-print-directory sums sizes VERSION='$(VERSION)'

sums: ## (re)write dist/SHA256SUMS over the binaries and packages in dist/
	@cd $(DIST) && files=$$(ls | grep -E '_linux_[a-z0-9]+$$|\.deb$$' | sort) && \
	  if [ -z "$$files" ]; then echo "sums: nothing in $(DIST)" >&2; exit 1; fi && \
	  sha256sum $$files > SHA256SUMS && echo "wrote $(DIST)/SHA256SUMS ($$(wc -l < SHA256SUMS) files)"

sizes: ## print binary sizes; fail if the armv6 surgemq binary is over SIZE_BUDGET_BYTES
	@echo "binary sizes (stripped):"
	@for f in $$(ls $(DIST) | grep -E '_linux_[a-z0-9]+$$' | sort); do \
	  stat -c '%s %n' $(DIST)/$$f; \
	done | awk '{ n = split($$2, p, "/"); printf "  %-28s %10d bytes  %6.2f MB\n", p[n], $$1, $$1 / 1e6 }'
	@f=$(DIST)/surgemq_linux_armv6; \
	if [ ! -f $$f ]; then echo "sizes: $$f missing: cannot check the size budget" >&2; exit 1; fi; \
	size=$$(stat -c %s $$f); \
	if [ $$size -gt $(SIZE_BUDGET_BYTES) ]; then \
	  echo "FAIL: $$f is $$size bytes, over the budget of $(SIZE_BUDGET_BYTES) bytes" >&2; exit 1; \
	fi; \
	echo "size budget: surgemq_linux_armv6 $$size bytes <= $(SIZE_BUDGET_BYTES) bytes: ok"

deb-config:
	@if [ ! -f '$(CONFIG)' ]; then \
	  echo "deb: the package config $(CONFIG) does not exist." >&2; \
	  echo "deb: the default is configs/surgemq.toml, the gateway's sample config; to package another: make deb CONFIG=path/to/surgemq.toml" >&2; \
	  exit 1; \
	fi

# deb_one,DEB_ARCH: the recipe lines that build dist/surgemq_<DEB_VERSION>_DEB_ARCH.deb.
define deb_one
	$(if $(DEBPLATFORM_$(1)),,$(error unknown Debian architecture $(1): add DEBPLATFORM_$(1) to the Makefile))
	@echo "nfpm $(NFPM_VERSION): $(DIST)/surgemq_$(DEB_VERSION)_$(1).deb from $(DEBPLATFORM_$(1)) binaries"
	@NFPM='$(NFPM)' DEB_VERSION='$(DEB_VERSION)' DEB_MAINTAINER='$(DEB_MAINTAINER)' CMDS='$(CMDS)' \
	  packaging/build-deb.sh $(DIST) $(DEBPLATFORM_$(1)) $(1) '$(CONFIG)'

endef

deb: deb-config dist ## build surgemq_<version>_{armhf,arm64,amd64}.deb into dist/ (needs CONFIG)
	@rm -f $(DIST)/surgemq_*.deb
	$(foreach a,$(DEB_ARCHES),$(call deb_one,$(a)))
	@$(MAKE) --no-print-directory sums VERSION='$(VERSION)'

check-deb: ## assert paths, conffile, scripts, architecture and unit file of each .deb in dist/
	CMDS='$(CMDS)' QEMU_ARM='$(QEMU_ARM)' QEMU_ARM64='$(QEMU_ARM64)' \
	  packaging/check-deb.sh $(DIST) '$(DEB_VERSION)' '$(VERSION)' $(DEB_ARCHES)

test-arm: ## run the ARM_TEST_PKGS tests as armv6 (arm1176) and arm64 under QEMU
	GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=0 $(GO) test $(ARM_TEST_FLAGS) -exec '$(QEMU_ARM)' $(ARM_TEST_PKGS)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) test $(ARM_TEST_FLAGS) -exec '$(QEMU_ARM64)' $(ARM_TEST_PKGS)

smoke-arm: ## run the armv6 and arm64 surgemq from dist/ under QEMU; QoS 0/1/2 round trips
	packaging/smoke.sh $(DIST)/surgemq_linux_armv6 '$(QEMU_ARM)' '$(VERSION)'
	packaging/smoke.sh $(DIST)/surgemq_linux_arm64 '$(QEMU_ARM64)' '$(VERSION)'

clean-dist: ## remove dist/
	rm -rf $(DIST)
