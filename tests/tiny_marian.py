"""Build tiny random translation models in CTranslate2 format, to test the real CTranslate2 load and decode path.

The weights are random (the output is gibberish); what matters is that each folder has the layout of a converted
hub model: a Marian/opus-mt pair (`model.bin`, `shared_vocabulary.json`, `source.spm`, `target.spm`) and an
NLLB-200 model (`model.bin`, `shared_vocabulary.json` with the language tokens, `sentencepiece.bpe.model`).
Needs torch, transformers and sentencepiece (`pip install -e '.[convert]'`). To keep the folders, run:

    python tests/tiny_marian.py /tmp/tiny-models
"""

from __future__ import annotations

import io
import json
import sys
import warnings
from pathlib import Path
from typing import Any

CORPUS = [
    "Hello, how are you?",
    "This serum costs twenty dollars today.",
    "Buy two and get one free.",
    "Hola, ¿cómo estás?",
    "Este sérum cuesta veinte dólares hoy.",
    "Compra dos y llévate uno gratis.",
    "The live sale starts at eight.",
    "La venta en vivo empieza a las ocho.",
]
TINY = {
    "d_model": 16,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 32,
    "decoder_ffn_dim": 32,
    "max_position_embeddings": 512,
}


def _train_spm(path: Path) -> list[str]:
    """A 64-piece sentencepiece model over CORPUS; returns its ordinary pieces in id order."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4),
        model_writer=model,
        vocab_size=64,
        model_type="unigram",
        character_coverage=1.0,
        minloglevel=2,
    )
    path.write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    return [processor.id_to_piece(i) for i in range(3, processor.get_piece_size())]  # after <unk> <s> </s>


def _save_random(model_class: Any, config: Any, hf_dir: Path, ct2_dir: Path, copy_files: list[str]) -> None:
    import ctranslate2
    import torch

    torch.manual_seed(0)
    model_class(config).save_pretrained(hf_dir)
    converter = ctranslate2.converters.TransformersConverter(str(hf_dir), copy_files=copy_files)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converter.convert(str(ct2_dir), force=True)


def build_tiny_marian(out_dir: Path) -> Path:
    """A Marian pair converted into `out_dir/ct2` (built once; an existing folder is returned as it is)."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    hf_dir, ct2_dir = out_dir / "hf", out_dir / "ct2"
    if (ct2_dir / "model.bin").exists():
        return ct2_dir
    hf_dir.mkdir(parents=True, exist_ok=True)
    pieces = _train_spm(hf_dir / "source.spm")
    (hf_dir / "target.spm").write_bytes((hf_dir / "source.spm").read_bytes())
    # opus-mt layout: </s> = 0, <unk> = 1, the pieces, <pad> last (also the decoder start token).
    tokens = ["</s>", "<unk>", *pieces, "<pad>"]
    (hf_dir / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Recommended: pip install sacremoses", here and in the converter
        tokenizer = MarianTokenizer(str(hf_dir / "source.spm"), str(hf_dir / "target.spm"), str(hf_dir / "vocab.json"))
    tokenizer.save_pretrained(hf_dir)
    pad = len(tokens) - 1
    config = MarianConfig(
        vocab_size=len(tokens),
        decoder_vocab_size=len(tokens),
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        **TINY,
    )
    _save_random(MarianMTModel, config, hf_dir, ct2_dir, ["source.spm", "target.spm"])
    return ct2_dir


def build_tiny_nllb(out_dir: Path, languages: list[str]) -> Path:
    """An NLLB-style M2M100 model knowing the language tokens `languages` (e.g. 'eng_Latn'), in `out_dir/ct2`.

    transformers' NllbTokenizer is only there to satisfy the converter; the vocabulary written afterwards is
    ours (`<s> <pad> </s> <unk>`, the sentencepiece pieces, the language tokens), which random weights allow.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    hf_dir, ct2_dir = out_dir / "hf", out_dir / "ct2"
    if (ct2_dir / "model.bin").exists():
        return ct2_dir
    hf_dir.mkdir(parents=True, exist_ok=True)
    tokens = ["<s>", "<pad>", "</s>", "<unk>", *_train_spm(hf_dir / "sentencepiece.bpe.model"), *languages]
    tokenizer = NllbTokenizer(vocab_file=str(hf_dir / "sentencepiece.bpe.model"))
    tokenizer.save_pretrained(hf_dir)
    size = max(len(tokens), len(tokenizer))
    config = M2M100Config(
        vocab_size=size, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, **TINY
    )
    _save_random(M2M100ForConditionalGeneration, config, hf_dir, ct2_dir, ["sentencepiece.bpe.model"])
    tokens += [f"madeupword{i}" for i in range(size - len(tokens))]
    (ct2_dir / "shared_vocabulary.json").write_text(json.dumps(tokens), encoding="utf-8")
    return ct2_dir


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-models")
    print(build_tiny_marian(root / "marian"))
    print(build_tiny_nllb(root / "nllb", ["eng_Latn", "spa_Latn", "zho_Hans"]))
