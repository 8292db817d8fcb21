#!/bin/sh
# Copy the todo example and its tests out of the repo and point them at Quart, to check
# that the same tests pass on both frameworks. Needs Quart installed (the bench extra has it):
#   pip install -e '.[test,bench]' && sh examples/todo/compare_with_quart.sh \
#     && (cd /tmp/port-quart && pytest -q)
set -e
SRC=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
DST=/tmp/port-quart
rm -rf "$DST" && mkdir -p "$DST/examples" "$DST/tests/examples"
cp -r "$SRC/examples/todo" "$DST/examples/todo"
touch "$DST/examples/__init__.py"
cp -r "$SRC/tests/examples/todo" "$DST/tests/examples/todo"
find "$DST" -name __pycache__ -prune -exec rm -rf {} +
find "$DST" -name '*.py' -exec sed -i \
  -e 's/erlen\.testing/quart.testing/g' -e 's/erlen\.exceptions/quart.exceptions/g' \
  -e 's/\berlen\b/quart/g' -e 's/\bErlen\b/Quart/g' {} +
# the real-server test runs the framework's command line: `kernel` -> `quart`
sed -i 's/^COMMAND = "kernel"/COMMAND = "quart"/' "$DST/tests/examples/todo/test_readme_real_server.py"
cat > "$DST/pyproject.toml" <<'TOML'
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
asyncio_default_test_loop_scope = "function"
addopts = "-ra --strict-markers --import-mode=importlib -p no:cacheprovider -p no:erlen"
filterwarnings = ["error"]
TOML
echo "Quart copy ready: cd $DST && pytest -q"
