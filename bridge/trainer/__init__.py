"""The trainer console's backend: NLU files, validation, training, KB editing, drafts and the ledger."""
