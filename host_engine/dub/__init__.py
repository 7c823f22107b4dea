"""Batch dubbing of recorded clips: segment, translate, synthesize, fit into time slots, mix, mux."""
