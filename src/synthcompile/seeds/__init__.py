"""Seeds: what a compiler starts from (knowledge graphs here; documents and rule systems later)."""
