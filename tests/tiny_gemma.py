"""Build a tiny random Gemma 3 model and write it as a GGUF file the way llama.cpp lays one out.

It lets the GGUF -> Transformers -> CTranslate2 conversion run end to end in seconds, and gives the
float32 torch model to compare the converted model's scores against. Needs torch, transformers and gguf.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import torch
import transformers

SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
PIECES = ["\n", "\n\n", "\u2581", *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:.,!?0123456789"]
WORDS = ["\u2581the", "\u2581buy", "\u2581now", "\u2581sale", "\u2581free", "th", "he", "uy", "ow", "ale", "ee"]
HEAD_DIM = 256
"""Gemma 3 scales queries by `query_pre_attn_scalar` (256), which a GGUF does not store; 270M has head_dim 256.
Likewise the GGUF has no layer types: loaders assume every sixth layer is global, so the model has six."""


def tiny_config() -> transformers.Gemma3TextConfig:
    return transformers.Gemma3TextConfig(
        vocab_size=len(SPECIAL) + len(PIECES) + len(WORDS),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=6,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=HEAD_DIM,
        query_pre_attn_scalar=HEAD_DIM,
        max_position_embeddings=512,
        sliding_window=512,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )


def tiny_model(seed: int = 0) -> transformers.Gemma3ForCausalLM:
    """A random model; norm weights are randomized too, since Gemma initializes them to zero."""
    torch.manual_seed(seed)
    model = transformers.Gemma3ForCausalLM(tiny_config()).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.normal_(0.0, 0.2)
    return model


def write_gguf(model: transformers.Gemma3ForCausalLM, path: Path) -> Path:
    """Write `model` as llama.cpp's Gemma 3 GGUF: renamed tensors, norm weights stored as 1 + w."""
    config = model.config
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_name("tiny gemma 3")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_key_length(config.head_dim)
    writer.add_value_length(config.head_dim)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_sliding_window(config.sliding_window)

    tokens = SPECIAL + PIECES + WORDS
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores([-1000.0] * len(SPECIAL) + [0.0] * (len(tokens) - len(SPECIAL)))
    control, normal = gguf.TokenType.CONTROL, gguf.TokenType.NORMAL
    writer.add_token_types([control] * len(SPECIAL) + [normal] * (len(tokens) - len(SPECIAL)))
    writer.add_pad_token_id(0)
    writer.add_eos_token_id(1)
    writer.add_bos_token_id(2)
    writer.add_unk_token_id(3)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GEMMA3, config.num_hidden_layers)
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight":  # tied to the embeddings
            continue
        array = tensor.float().numpy()
        if "norm" in name:
            array = array + 1.0
        writer.add_tensor(names.get_name(name, try_suffixes=(".weight",)), np.ascontiguousarray(array))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
