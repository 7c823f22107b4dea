# Every target first runs the idempotent set-up (Debian packages, .venv, pip, offline models).
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out/demo

.PHONY: setup demo test lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	$(BIN)/host-engine dub samples/librivox_sense.mp4 --src en --to pt,es --out $(OUT)

lint: setup
	$(BIN)/ruff check host_engine tests benchmarks

test: lint
	$(BIN)/pytest -q

bench: setup
	$(BIN)/host-engine bench --suite quick
	$(BIN)/python -m host_engine.bench.dub_speed
	$(BIN)/python -m host_engine.bench.avatar
	$(BIN)/python -m host_engine.bench.live_latency
	$(BIN)/python -m host_engine.bench.host
	$(BIN)/python -m host_engine.bench.kb_match
	$(BIN)/python -m host_engine.bench.intents
	$(BIN)/python -m host_engine.bench.moderation
	$(BIN)/python -m host_engine.bench.placeholders
