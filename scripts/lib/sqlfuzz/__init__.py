"""sqlfuzz: the differential fuzzer of the SQL checker against Flink's own parser (scripts/sql-fuzz).

Modules:
  gen     seeded, grammar-driven Flink SQL statements of the kinds people write
  damage  character-level damage (identifiers, literals, Unicode punctuation, comments, casing,
          layout, dropped/duplicated/swapped tokens, truncation)
  lex     a small tokenizer shared by damage and shrink
  engines the project's oracle (scripts/sql-oracle) and the checker (examples/sql_check), in batches
  compare verdict/position comparison and the signature of a disagreement
  shrink  batched delta debugging of a disagreement (tokens, then characters)

Everything is deterministic for a seed: one random.Random per statement, seeded with a string
(random's string seeding is SHA-512 based, not Python's hash randomization), lists only (no
iteration over sets or dicts whose order could vary).
"""
