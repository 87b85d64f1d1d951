"""Knowledge base of the help desk: load, import, tokenize, search and match matters."""
