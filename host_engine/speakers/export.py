"""Install-time export of Resemblyzer's speaker encoder (PyTorch weights on PyPI) to ONNX, so that a run needs ONNX
Runtime and numpy only. The network is Resemblyzer's: a 3-layer LSTM over 40 mel bands, its last hidden state
through a linear layer and a ReLU, L2-normalised to a 256-dim embedding. torch is needed only here."""

from __future__ import annotations

import os
from pathlib import Path

from host_engine.errors import HostEngineError

MEL_BANDS = 40
HIDDEN = 256
LAYERS = 3


def export_resemblyzer_to_onnx(weights: Path, output: Path) -> Path:
    """Write `weights` (Resemblyzer's `pretrained.pt`) as an ONNX graph at `output`: mels (batch, frames, 40) ->
    embeddings (batch, 256). Written beside `output` and renamed into place."""
    try:
        import torch
        from torch import nn
    except ImportError:
        raise HostEngineError("exporting the speaker encoder needs torch: `pip install -e '.[convert]'`") from None

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(MEL_BANDS, HIDDEN, LAYERS, batch_first=True)
            self.linear = nn.Linear(HIDDEN, HIDDEN)

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            zeros = mels.new_zeros(LAYERS, mels.shape[0], HIDDEN)  # traced from the input: any batch size
            _, (hidden, _) = self.lstm(mels, (zeros, zeros))
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True)

    encoder = Encoder()
    state = torch.load(weights, map_location="cpu")["model_state"]
    encoder.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in ("lstm", "linear")})
    encoder.eval()
    partial = output.with_name(f".{output.name}.partial")
    torch.onnx.export(
        encoder,
        (torch.zeros(2, 160, MEL_BANDS),),
        str(partial),
        input_names=["mels"],
        output_names=["embeddings"],
        dynamic_axes={"mels": {0: "batch", 1: "frames"}, "embeddings": {0: "batch"}},
        dynamo=False,
        opset_version=17,
    )
    os.replace(partial, output)
    return output
