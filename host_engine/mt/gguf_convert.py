"""Install-time conversion of an LLM's GGUF (Gemma 3, Qwen 2) into a CTranslate2 `Generator` folder.

CTranslate2 cannot read GGUF, so the weights take a detour through Hugging Face Transformers: the GGUF is
loaded dequantized to float32, saved as an ordinary Transformers folder, and converted (re-quantized) by
CTranslate2's own converter. torch and transformers are needed only here, never at run time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from host_engine.errors import HostEngineError

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
"""Copied beside `model.bin`; the run-time translator reads `tokenizer.json` with the `tokenizers` package."""

ARCHITECTURES = {"gemma3_text": "Gemma3ForCausalLM", "qwen2": "Qwen2ForCausalLM"}
"""GGUF model type (as Transformers reads it) -> the Transformers class CTranslate2's converter knows."""
_INSTALL_HINT = "converting a GGUF model needs torch, transformers and gguf: `pip install -e '.[convert]'`"


def convert_gguf_to_ctranslate2(gguf_path: Path, out_dir: Path, quantization: str = "int8") -> Path:
    """Convert a Gemma 3 or Qwen 2 GGUF file into a CTranslate2 model folder at `out_dir` and return `out_dir`.

    Everything is written into a temporary folder beside `out_dir` and renamed into place at the end, so
    `out_dir` is either the old model, or the complete new one, never half-written.
    """
    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    if not gguf_path.is_file():
        raise HostEngineError(f"GGUF file not found: {gguf_path}; reinstall the model package")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as tmp:
        hf_dir = gguf_to_transformers(gguf_path, Path(tmp) / "hf")
        ct2_dir = transformers_to_ctranslate2(hf_dir, Path(tmp) / "ct2", quantization)
        if out_dir.exists():
            out_dir.rename(Path(tmp) / "old")  # removed with the temporary folder
        ct2_dir.rename(out_dir)
    return out_dir


def gguf_to_transformers(gguf_path: Path, out_dir: Path) -> Path:
    """Dequantize a Gemma 3 or Qwen 2 GGUF into a float32 Transformers folder (weights, config, tokenizer)."""
    torch, transformers = _import_torch_transformers()
    folder, local = str(gguf_path.parent), {"gguf_file": gguf_path.name, "local_files_only": True}
    loaded = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **local)
    if loaded.config.model_type not in ARCHITECTURES:
        raise HostEngineError(
            f"{gguf_path} holds a '{loaded.config.model_type}' model; supported: {', '.join(ARCHITECTURES)}"
        )
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, **local)
    # The loaded model still carries the GGUF "quantization" config, which CTranslate2's converter rejects,
    # so its weights move into a plain model built from the same config.
    config = loaded.config
    del config.quantization_config
    with torch.device("meta"):
        model = getattr(transformers, ARCHITECTURES[config.model_type])(config)
    model.load_state_dict(loaded.state_dict(), assign=True)
    model.tie_weights()
    del loaded
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def transformers_to_ctranslate2(hf_dir: Path, out_dir: Path, quantization: str = "int8") -> Path:
    """Convert a Transformers causal-LM folder into a CTranslate2 `Generator` folder with its tokenizer."""
    _import_torch_transformers()
    import ctranslate2

    converter = ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=list(TOKENIZER_FILES))
    return Path(converter.convert(str(out_dir), quantization=quantization))


def _import_torch_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise HostEngineError(f"{_INSTALL_HINT} ({exc.name} is missing)") from exc
    return torch, transformers
