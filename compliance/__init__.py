"""Regulatory compliance: obligation frameworks (EU AI Act, NIST AI RMF,
ISO/IEC 42001) mapped to mlgov's evidence, coverage per model, and the
generated technical documentation (Annex IV)."""
