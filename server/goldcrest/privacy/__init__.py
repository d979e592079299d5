"""What may leave the machine: ignore rules, secret redaction, and the audit log of what did."""
