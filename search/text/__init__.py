"""What a term, a language and a date are."""
