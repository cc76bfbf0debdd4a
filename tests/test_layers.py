"""The package's layers: what may import what, what imports without torch, no private imports.

Layers, lowest first; a module's top-level imports of ``ssa`` modules stay in its own layer or
below (imports inside functions are lazy on purpose and not counted). The first three layers
are numpy-only, so the parser, the readers and the synthetic data load without torch.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("ssa.laterality", "ssa.files", "ssa.config", "ssa.imageio", "ssa.model_thread")),
    ("text", ("ssa.location_words", "ssa.spatial", "ssa.expressions", "ssa.report")),
    ("data", ("ssa.metrics", "ssa.findings", "ssa.verdict", "ssa.overlay", "ssa.data")),
    ("torch", ("ssa.ot", "ssa.decoder", "ssa.encoders", "ssa.losses", "ssa.weights", "ssa.presence", "ssa.model",
               "ssa.checkpoint", "ssa.predictor", "ssa.data.dataset", "ssa.training_state")),
    ("apps", ("ssa.evaluate", "ssa.calibrate", "ssa.training", "ssa.training_data", "ssa.training_log", "ssa.analysis",
              "ssa.predict", "ssa.model_card", "ssa.webui", "ssa")),
]
LIGHT_LAYERS = ("foundation", "text", "data")


def layer_of(module: str) -> int:
    """Index of the layer whose longest prefix matches ``module`` (``ssa.data.dataset`` is torch)."""
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")
    return best


def package_modules() -> dict[str, Path]:
    out = {}
    for f in sorted((ROOT / "ssa").rglob("*.py")):
        parts = f.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def top_level_imports(file: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of the imports at module level (``if TYPE_CHECKING:`` left out)."""
    found = []
    for node in ast.parse(file.read_text()).body:
        body = node.body if isinstance(node, ast.Try) else [node]
        for n in body:
            if isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                found.append((n.lineno, n.module))
            elif isinstance(n, ast.Import):
                found += [(n.lineno, a.name) for a in n.names]
    return found


def test_every_module_imports_only_its_layer_or_below() -> None:
    bad = []
    for module, file in package_modules().items():
        own = layer_of(module)
        for line, dep in top_level_imports(file):
            if dep == "ssa" or dep.startswith("ssa."):
                if layer_of(dep) > own:
                    bad.append(f"{file.relative_to(ROOT)}:{line}: {LAYERS[own][0]} module imports "
                               f"{dep} ({LAYERS[layer_of(dep)][0]})")
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def light_modules() -> list[str]:
    light = {LAYERS.index(layer) for layer in LAYERS if layer[0] in LIGHT_LAYERS}
    return [m for m in package_modules() if layer_of(m) in light and not m.endswith("__main__")]


BLOCK_TORCH = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "transformers", "gradio"):
            raise ImportError(f"{name} is blocked: this module must import without it")
sys.meta_path.insert(0, Block())
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as err:
        failed.append(f"{name}: {err}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_light_modules_import_without_torch() -> None:
    modules = light_modules()
    assert "ssa.spatial" in modules and "ssa.data.synthetic" in modules and "ssa.data.readers" in modules
    run = subprocess.run([sys.executable, "-c", BLOCK_TORCH, *modules], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, "modules that need torch but should not:\n" + run.stdout + run.stderr


def test_the_torch_block_catches_a_torch_import() -> None:
    """The check above is real: a module that needs torch fails it."""
    run = subprocess.run([sys.executable, "-c", BLOCK_TORCH, "ssa.model"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1 and "ssa.model" in run.stdout


def python_files() -> list[Path]:
    files = [ROOT / "app.py", ROOT / "train.py"]
    for folder in ("ssa", "bench", "scripts", "tests"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def test_no_private_names_imported_from_another_module() -> None:
    bad = []
    for file in python_files():
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("ssa", "bench", "tests"):
                bad += [f"{file.relative_to(ROOT)}:{node.lineno}: from {node.module} import {a.name}"
                        for a in node.names if a.name.startswith("_")]
    assert not bad, "private names imported from another module (make them public or move them):\n" + "\n".join(bad)
