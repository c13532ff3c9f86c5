"""The LLM over the other compilers: compiled samples rephrased, kept only if they still verify (docs/rephrase.md)."""
