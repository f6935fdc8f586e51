# arcbox front door. Every target does its own set-up (as root): a fresh Debian 12/13 host needs
# nothing but `make test` or `make run`.
SHELL := /bin/bash
IMAGES ?= /var/lib/arcbox/images
MVN := ./mvnw -B -q -ntp
JAVA_ENV = JAVA_HOME="$$(scripts/find-jdk.sh)"

.PHONY: all setup guest agent build test test-agent test-java test-install bench run demo try clean install dist
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system

all: build

setup:
	@bash scripts/host-setup.sh

agent: setup
	@$(MAKE) -s -C guest/agent

guest: agent
	@bash guest/build-image.sh $(IMAGES)

build: setup
	@$(JAVA_ENV) $(MVN) -DskipTests install

test-agent: setup
	@$(MAKE) -s -C guest/agent test

test-java: guest
	@$(JAVA_ENV) ./mvnw -B -ntp -Darcbox.images=$(IMAGES) verify

## all tests: the agent's hostile-input tests, every Java test (real microVMs included), then
## `make install` into a temporary DESTDIR and `make dist`, checked
test: test-agent test-java test-install

test-install:
	@$(JAVA_ENV) bash scripts/test-install.sh $(IMAGES)

## install the built jars, launchers, guest images, systemd unit and default config (DESTDIR honoured)
install: guest build
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" UNITDIR="$(UNITDIR)" IMAGES="$(IMAGES)" \
		bash scripts/install.sh

## target/arcbox-<version>-linux-x86_64.tar.gz: launchers, jars, unit, config, README
dist: build
	@bash scripts/dist.sh

## benchmarks (never part of make test): figures printed at the end
bench: guest build
	@$(JAVA_ENV) ./mvnw -B -ntp -q -pl bench -Darcbox.images=$(IMAGES) -Dsurefire.excludedGroups= -Dgroups=bench -DskipBench=false test

## arcboxd in the foreground with the built-in defaults (socket /run/arcbox/arcbox.sock)
run: guest build
	@echo "arcboxd starting; in another shell try:"
	@echo "  bin/arcbox sandbox create --id hello --network none --wait"
	@echo "  bin/arcbox sandbox run hello -- uname -a"
	@echo "  bin/arcbox sandbox rm -f hello"
	@$(JAVA_ENV) exec bin/arcboxd

## a tour in a private network namespace with a temporary data dir; leaves nothing behind
demo: guest build
	@$(JAVA_ENV) bash scripts/demo.sh $(IMAGES)

## boot one microVM with the driver alone, run a command through the agent, stop it
try: guest build
	@$(JAVA_ENV) bin/arcbox-try $(IMAGES) uname -a

clean:
	@$(MAKE) -s -C guest/agent clean
	@$(JAVA_ENV) $(MVN) clean
