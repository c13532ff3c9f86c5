"""Document compilers: learning exercises made from the passages of real documents."""
