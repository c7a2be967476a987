"""Persons (klien): records (create, read, correct), incident subjects, match proposals and links, merges
and splits. Every read of personal data is audited; NIK, KK and phones are masked unless asked for."""
