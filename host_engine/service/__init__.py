"""The studio's job service: jobs kept in a durable store, run stage by stage with checkpoints by an executor."""
