"""Encoder-decoder MT models in CTranslate2 format: Marian/opus-mt, NLLB-200 and M2M100, from a local folder.

The folder is what `ct2-transformers-converter` writes plus the model's sentencepiece files: `source.spm`
and `target.spm` for Marian, `sentencepiece.bpe.model` for NLLB and M2M100. Multilingual models select the
language with tokens (`eng_Latn` / `__en__`) before the source text and as the first target token; a Marian
model is one fixed pair.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from host_engine.device import choose_device
from host_engine.errors import ModelNotInstalledError, UnsupportedLanguageError
from host_engine.mt import Pair

Family = Literal["marian", "nllb", "m2m100"]

NLLB_CODES = {
    "en": "eng_Latn",
    "zh": "zho_Hans",
    "ja": "jpn_Jpan",
    "ko": "kor_Hang",
    "es": "spa_Latn",
    "pt": "por_Latn",
    "fr": "fra_Latn",
    "de": "deu_Latn",
    "ar": "arb_Arab",
    "id": "ind_Latn",
    "ms": "zsm_Latn",
    "th": "tha_Thai",
    "vi": "vie_Latn",
}


def language_token(family: Family, code: str) -> str:
    """The token that names language `code` in a multilingual model of `family`."""
    return NLLB_CODES[code] if family == "nllb" else f"__{code}__"


def _vocabulary(model_dir: Path) -> set[str]:
    for name in ("shared_vocabulary.json", "target_vocabulary.json"):
        if (model_dir / name).exists():
            return set(json.loads((model_dir / name).read_text(encoding="utf-8")))
    for name in ("shared_vocabulary.txt", "target_vocabulary.txt"):
        if (model_dir / name).exists():
            return set((model_dir / name).read_text(encoding="utf-8").splitlines())
    return set()


class CTranslate2Seq2SeqTranslator:
    """One CTranslate2 `Translator`, loaded once; a batch is tokenized with sentencepiece and decoded at once."""

    def __init__(
        self,
        model_dir: Path,
        family: Family,
        *,
        pair: Pair | None = None,
        name: str | None = None,
        device: str = "auto",
        compute_type: str = "auto",
        beam_size: int = 4,
        max_decoding_length: int = 256,
        cpu_threads: int | None = None,
    ) -> None:
        import ctranslate2

        try:
            import sentencepiece
        except ImportError:
            raise ModelNotInstalledError(
                "CTranslate2 translation models need `pip install sentencepiece` for their tokenizers"
            ) from None
        model_dir = Path(model_dir)
        if family == "marian" and pair is None:
            raise ValueError("a Marian model translates one fixed pair: pass pair=(src, tgt)")
        spm_files = ("source.spm", "target.spm") if family == "marian" else ("sentencepiece.bpe.model",) * 2
        missing = [f for f in ("model.bin", *spm_files) if not (model_dir / f).exists()]
        if missing:
            raise ModelNotInstalledError(
                f"{model_dir} is not a CTranslate2 {family} model folder (no {', '.join(sorted(set(missing)))}); "
                "install one with `host-engine models install` or `ct2-transformers-converter --copy_files`"
            )
        self.family = family
        self.name = name or f"ct2-{family}:{model_dir.name}"
        chosen = choose_device(device, None if compute_type == "auto" else compute_type)
        self.device, self.compute_type = chosen.device, chosen.compute_type
        self._beam_size = beam_size
        self._max_decoding_length = max_decoding_length
        self._source_spm = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / spm_files[0]))
        self._target_spm = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / spm_files[1]))
        self._model: Any = ctranslate2.Translator(
            str(model_dir),
            device=self.device,
            compute_type=self.compute_type,
            intra_threads=cpu_threads or chosen.cpu_threads,
        )
        if pair is not None:
            self._pairs = frozenset({pair})
        else:
            vocabulary = _vocabulary(model_dir)
            codes = [c for c in NLLB_CODES if language_token(family, c) in vocabulary]
            self._pairs = frozenset((s, t) for s in codes for t in codes if s != t)

    def pairs(self) -> frozenset[Pair]:
        return self._pairs

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        if (src, tgt) not in self._pairs:
            installed = ", ".join(f"{s}-{t}" for s, t in sorted(self._pairs))
            raise UnsupportedLanguageError(f"{self.name} does not translate {src}->{tgt}; it has {installed}")
        todo = [i for i, text in enumerate(texts) if text.strip()]
        out = [""] * len(texts)
        if not todo:
            return out
        prefix = [] if self.family == "marian" else [language_token(self.family, src)]
        target_prefix = None if self.family == "marian" else [[language_token(self.family, tgt)]] * len(todo)
        encode = self._source_spm.encode
        batch = [prefix + encode(" ".join(texts[i].split()), out_type=str) + ["</s>"] for i in todo]
        results = self._model.translate_batch(
            batch,
            target_prefix=target_prefix,
            beam_size=self._beam_size,
            max_decoding_length=self._max_decoding_length,
        )
        spm = self._target_spm
        for i, result in zip(todo, results, strict=True):
            # Language tokens, <pad> and the like are unknown to sentencepiece: dropped, not spelled out.
            pieces = [t for t in result.hypotheses[0] if spm.piece_to_id(t) != spm.unk_id()]
            out[i] = spm.decode_pieces(pieces).strip()
        return out
