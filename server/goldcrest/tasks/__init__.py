"""One module per editor action: what context it needs, which prompt, how its answer is checked."""
