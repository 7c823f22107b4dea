"""Who speaks when in a clip: speaker embeddings (Resemblyzer's encoder, exported to ONNX), clustered into speakers."""
