"""Who speaks when in a clip: speaker embeddings (Resemblyzer's encoder, exported to ONNX), clustered into speakers."""

MAX_SPEAKERS = 8
"""The most speakers a caller may ask a clip to be split into."""
