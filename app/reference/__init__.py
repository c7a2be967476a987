"""Reference data shipped with the code: PPKS categories and Kemendagri regions."""
