"""What the model needs to know about the code around the cursor, from tree-sitter."""
