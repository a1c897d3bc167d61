"""Tests (a regular package: rt-utils installs a top-level ``tests`` package that would shadow this one)."""
